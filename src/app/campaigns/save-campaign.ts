import type {
  Campaign,
  CampaignDefinition,
  CampaignState,
  CustomCampaignMessage,
} from '../../domain/campaign.js';
import { HeraldError } from '../../domain/errors.js';
import { managedChannelId, managedChannelIds } from '../../domain/managed-channel.js';
import type { CampaignQueueControl } from '../../ports/campaign-queue-control.js';
import type { CampaignStore } from '../../ports/campaign-store.js';
import type { ChannelStore, StoredChannel } from '../../ports/channel-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { SegmentStore } from '../../ports/segment-store.js';
import type { TemplateStore } from '../../ports/template-store.js';
import type { ChannelDirectory } from '../channels/channel-directory.js';
import { type ConfigureChannelDeps, prepareChannel } from '../channels/configure-channel.js';
import { RunPlan } from './campaign-schedule.js';
import { compileCampaign } from './compile-campaign.js';

/** Custom channels a campaign manages send this fast unless the campaign sets its own pace. */
const MANAGED_CHANNEL_RATE = 1_000;

export interface CampaignDeps extends ConfigureChannelDeps {
  readonly campaigns: CampaignStore;
  readonly segments: Pick<SegmentStore, 'get'>;
  readonly templates: Pick<TemplateStore, 'get'>;
  readonly channels: ChannelStore;
  readonly directory: ChannelDirectory;
  readonly control: CampaignQueueControl;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  /** The scheduler should look now. */
  readonly wake: () => void;
}

/** A definition as the API takes it: custom deliveries may carry receiver headers, which go into their channel. */
export type CampaignInput = CampaignDefinition;

/**
 * Creates a campaign after checking that it can run: its segment exists, each treatment's template, mappings and
 * channel resolve, and its pace is within the channel's rate. A custom delivery with `deliveryUri` or
 * `functionName` gets a custom channel of its own (`campaign-<id>-<treatment>`), checked like any custom channel
 * (Pinpoint's HEAD check of the receiver, or the function's registration). Nothing is stored until all of it has
 * been checked; the campaign and its channels are then stored together.
 */
export async function createCampaign(
  deps: CampaignDeps,
  appId: string,
  input: CampaignInput,
): Promise<Campaign> {
  const now = deps.clock.now();
  const draft: Campaign = {
    ...withoutHeaders(input),
    appId,
    id: deps.ids.next(),
    version: 1,
    state: 'SCHEDULED',
    nextRunAt: null,
    runs: 0,
    createdAt: now,
    updatedAt: now,
  };
  await checkSegment(deps, draft);
  const channels = await prepareManagedChannels(deps, draft, input);
  await checkRunnable(deps, draft, channels);
  const due = firstDue(draft);
  if (due === null) {
    throw new HeraldError(
      'HERALD_VALIDATION_FAILED',
      'schedule: the campaign would never run (it ends before it starts)',
      {
        field: 'schedule.endTime',
      },
    );
  }
  // An EVENT campaign that has started listens at once: an event right after creation must not be missed.
  const listening = draft.schedule.frequency === 'EVENT' && due <= now;
  const campaign: Campaign = listening
    ? { ...draft, state: 'EXECUTING', nextRunAt: draft.schedule.endTime ?? null }
    : { ...draft, nextRunAt: due };
  await deps.campaigns.create(campaign, channels);
  invalidate(deps, appId, channels);
  deps.wake();
  return campaign;
}

/**
 * Replaces the definition (version + 1). Refused while a run is still being fanned out (pause or wait). The next
 * run is planned again from the new schedule: before the first run, its start; after, the run the campaign waits
 * for when the runs stay the same (`RunPlan.nextDueReplacing`), else the new schedule's first run still to come.
 * A refused update changes nothing: the channels the new version manages are checked first and stored with it, in
 * the transaction that checks the version. Managed channels it no longer uses are deleted with it, unless a run
 * still has messages to send (they wait for their channel): those stay until a later update or the campaign's
 * deletion.
 */
export async function updateCampaign(
  deps: CampaignDeps,
  appId: string,
  campaignId: string,
  input: CampaignInput,
): Promise<Campaign> {
  const current = await mustGet(deps, appId, campaignId);
  if (current.state === 'CANCELLED' || current.state === 'COMPLETED') {
    throw stateError(current, 'updated');
  }
  const open = await deps.campaigns.activitiesIn(appId, campaignId, ['RUNNING', 'PAUSED', 'PENDING']);
  if (open.some((a) => !a.fanOutDone)) {
    throw new HeraldError(
      'HERALD_CAMPAIGN_STATE',
      `campaign ${campaignId} has a run still being fanned out; wait for it (or cancel) before changing the campaign`,
      { field: 'campaignId' },
    );
  }
  const now = deps.clock.now();
  const next: Campaign = {
    ...current,
    ...withoutHeaders(input),
    version: current.version + 1,
    updatedAt: Math.max(now, current.updatedAt + 1),
  };
  await checkSegment(deps, next);
  const channels = await prepareManagedChannels(deps, next, input);
  await checkRunnable(deps, next, channels);
  const plan = new RunPlan(next.schedule, next.createdAt);
  let nextRunAt: number | null;
  let state: CampaignState = current.state;
  if (next.schedule.frequency === 'EVENT') {
    nextRunAt = current.state === 'EXECUTING' ? (next.schedule.endTime ?? null) : firstDue(next);
  } else if (current.runs === 0) {
    nextRunAt = plan.firstDue();
  } else {
    // Planned from the run the campaign waits for, not from now: keeping the schedule keeps that run.
    nextRunAt = plan.nextDueReplacing(
      new RunPlan(current.schedule, current.createdAt),
      current.nextRunAt,
      now,
    );
    if (nextRunAt === null && current.state === 'PENDING_NEXT_RUN') state = 'COMPLETED';
  }
  const saved: Campaign = { ...next, nextRunAt, state };
  const used = new Set(channels.map((c) => c.id));
  const unused = open.length > 0 ? [] : managedChannelIds(campaignId).filter((id) => !used.has(id));
  if (!(await deps.campaigns.update(saved, current.version, { put: channels, remove: unused }))) {
    throw new HeraldError('HERALD_VERSION_MISMATCH', `campaign ${campaignId} changed meanwhile`, {
      field: 'campaignId',
    });
  }
  invalidate(deps, appId, [...channels, ...unused]);
  deps.wake();
  return saved;
}

/**
 * Cancels what is still to send, then deletes the campaign, its runs and the channels it managed (a completed or
 * cancelled campaign keeps them until then). Messages stay in the ledger.
 */
export async function deleteCampaign(deps: CampaignDeps, appId: string, campaignId: string): Promise<void> {
  const campaign = await mustGet(deps, appId, campaignId);
  await cancelRuns(deps, campaign);
  const channelIds = managedChannelIds(campaign.id);
  await deps.campaigns.delete(appId, campaignId, channelIds);
  invalidate(deps, appId, channelIds);
}

/** Stops new runs and holds the queued messages of running ones (they keep their place; resumed later). */
export async function pauseCampaign(
  deps: CampaignDeps,
  appId: string,
  campaignId: string,
): Promise<Campaign> {
  const campaign = await mustGet(deps, appId, campaignId);
  const now = deps.clock.now();
  if (
    !(await deps.campaigns.setState(
      appId,
      campaignId,
      ['SCHEDULED', 'EXECUTING', 'PENDING_NEXT_RUN'],
      'PAUSED',
      now,
    ))
  )
    throw stateError(campaign, 'paused');
  const paused = await deps.campaigns.setActivityState(
    { appId, campaignId },
    ['RUNNING', 'PENDING'],
    'PAUSED',
    now,
  );
  for (const activityId of paused) await deps.control.pause(activityId, now);
  return mustGet(deps, appId, campaignId);
}

/** Picks up where the pause left off: paused runs go on (their messages move on by the pause), due runs start. */
export async function resumeCampaign(
  deps: CampaignDeps,
  appId: string,
  campaignId: string,
): Promise<Campaign> {
  const campaign = await mustGet(deps, appId, campaignId);
  if (campaign.state !== 'PAUSED') throw stateError(campaign, 'resumed');
  const now = deps.clock.now();
  const paused = await deps.campaigns.activitiesIn(appId, campaignId, ['PAUSED']);
  const started =
    campaign.schedule.frequency === 'EVENT'
      ? (campaign.schedule.startTime === 'IMMEDIATE' ? campaign.createdAt : campaign.schedule.startTime) <=
        now
      : campaign.runs > 0;
  const state: CampaignState =
    paused.length > 0 || (campaign.schedule.frequency === 'EVENT' && started)
      ? 'EXECUTING'
      : started
        ? campaign.nextRunAt === null
          ? 'COMPLETED'
          : 'PENDING_NEXT_RUN'
        : 'SCHEDULED';
  if (!(await deps.campaigns.setState(appId, campaignId, ['PAUSED'], state, now)))
    throw stateError(campaign, 'resumed');
  for (const activity of paused) {
    await deps.campaigns.setActivityState({ appId, activityId: activity.id }, ['PAUSED'], 'RUNNING', now);
    await deps.control.resume(activity.id, now - (activity.pausedAt ?? now));
  }
  deps.wake();
  return mustGet(deps, appId, campaignId);
}

/** Ends the campaign: no more runs; unsent messages of its runs are cancelled (those being sent finish). */
export async function cancelCampaign(
  deps: CampaignDeps,
  appId: string,
  campaignId: string,
): Promise<Campaign> {
  const campaign = await mustGet(deps, appId, campaignId);
  if (campaign.state === 'CANCELLED' || campaign.state === 'COMPLETED')
    throw stateError(campaign, 'cancelled');
  await cancelRuns(deps, campaign);
  return mustGet(deps, appId, campaignId);
}

async function cancelRuns(deps: CampaignDeps, campaign: Campaign): Promise<void> {
  const now = deps.clock.now();
  await deps.campaigns.setState(
    campaign.appId,
    campaign.id,
    ['SCHEDULED', 'EXECUTING', 'PENDING_NEXT_RUN', 'PAUSED'],
    'CANCELLED',
    now,
  );
  const cancelled = await deps.campaigns.setActivityState(
    { appId: campaign.appId, campaignId: campaign.id },
    ['RUNNING', 'PAUSED', 'PENDING'],
    'CANCELLED',
    now,
  );
  for (const activityId of cancelled) {
    await deps.control.end(
      activityId,
      'cancelled',
      { code: 'HERALD_CAMPAIGN_CANCELLED', message: 'the campaign was cancelled' },
      now,
    );
  }
}

export function campaignNotFound(campaignId: string): HeraldError {
  return new HeraldError('HERALD_NOT_FOUND', `campaign ${campaignId} does not exist`, {
    field: 'campaignId',
  });
}

async function mustGet(deps: CampaignDeps, appId: string, campaignId: string): Promise<Campaign> {
  const campaign = await deps.campaigns.get(appId, campaignId);
  if (!campaign) throw campaignNotFound(campaignId);
  return campaign;
}

function stateError(campaign: Campaign, action: string): HeraldError {
  return new HeraldError(
    'HERALD_CAMPAIGN_STATE',
    `campaign ${campaign.id} is ${campaign.state} and cannot be ${action}`,
    {
      field: 'campaignId',
    },
  );
}

function firstDue(campaign: Campaign): number | null {
  return new RunPlan(campaign.schedule, campaign.createdAt).firstDue();
}

async function checkSegment(deps: CampaignDeps, campaign: Campaign): Promise<void> {
  const segment = await deps.segments.get(campaign.appId, campaign.segmentId, campaign.segmentVersion);
  if (!segment) {
    throw new HeraldError(
      'HERALD_VALIDATION_FAILED',
      campaign.segmentVersion === undefined
        ? `segmentId: segment ${campaign.segmentId} does not exist`
        : `segmentVersion: segment ${campaign.segmentId} has no version ${campaign.segmentVersion}`,
      { field: campaign.segmentVersion === undefined ? 'segmentId' : 'segmentVersion' },
    );
  }
}

/**
 * Everything a run needs resolves now, and the pace is within each channel's rate. `managed`: the channels the
 * campaign is about to store, which its treatments resolve to instead of the stored ones.
 */
async function checkRunnable(
  deps: CampaignDeps,
  campaign: Campaign,
  managed: readonly StoredChannel[],
): Promise<void> {
  const pending = new Map(managed.map((c) => [c.id, c]));
  const treatments = await compileCampaign(
    {
      templates: deps.templates,
      directory: {
        resolve: async (appId, channelType, channelId, options) =>
          (channelId !== undefined && options?.managed === true ? pending.get(channelId) : undefined) ??
          deps.directory.resolve(appId, channelType, channelId, options),
        provider: (kind) => deps.directory.provider(kind),
      },
    },
    campaign,
  );
  const pace = campaign.limits.messagesPerSecond;
  if (pace === undefined) return;
  for (const treatment of treatments) {
    if (pace > treatment.channel.limits.messagesPerSecond) {
      throw new HeraldError(
        'HERALD_VALIDATION_FAILED',
        `limits.messagesPerSecond: ${pace} is above channel ${treatment.channel.id}'s rate of ${treatment.channel.limits.messagesPerSecond}/s`,
        { field: 'limits.messagesPerSecond' },
      );
    }
  }
}

/** The channels the campaign's custom deliveries get, checked (receiver's HEAD, function's registration), not stored. */
async function prepareManagedChannels(
  deps: CampaignDeps,
  campaign: Campaign,
  input: CampaignInput,
): Promise<StoredChannel[]> {
  const channels: StoredChannel[] = [];
  for (const [index, treatment] of input.treatments.entries()) {
    const message = treatment.message;
    if (
      message.channelType !== 'CUSTOM' ||
      (message.deliveryUri === undefined && message.functionName === undefined)
    )
      continue;
    const channelId = managedChannelId(campaign.id, treatment.id);
    try {
      const channel = await prepareChannel(deps, {
        appId: campaign.appId,
        channelId,
        provider: 'custom',
        sender: { name: channelId },
        credentials: message.headers ? { headers: message.headers } : {},
        options:
          message.deliveryUri !== undefined
            ? { deliveryUri: message.deliveryUri }
            : { functionName: message.functionName },
        limits: { messagesPerSecond: campaign.limits.messagesPerSecond ?? MANAGED_CHANNEL_RATE },
        managed: true,
      });
      channels.push(channel);
    } catch (error) {
      if (error instanceof HeraldError && error.field) {
        const where = input.treatments.length === 1 ? 'message' : `treatments[${index}].message`;
        throw new HeraldError(error.code, `${where}: ${error.message}`, {
          field: `${where}.${message.deliveryUri !== undefined ? 'deliveryUri' : 'functionName'}`,
          ...(error.details ? { details: error.details } : {}),
        });
      }
      throw error;
    }
  }
  return channels;
}

/** Adapters and default channels cached for channels a save has just changed (or deleted, by id) are dropped. */
function invalidate(deps: CampaignDeps, appId: string, channels: readonly (StoredChannel | string)[]): void {
  for (const channel of channels)
    deps.directory.invalidate(appId, typeof channel === 'string' ? channel : channel.id);
}

function withoutHeaders(input: CampaignInput): CampaignDefinition {
  return {
    ...input,
    treatments: input.treatments.map((t) => {
      if (t.message.channelType !== 'CUSTOM') return t;
      const { headers: _secret, ...message } = t.message as CustomCampaignMessage;
      return { ...t, message };
    }),
  };
}
