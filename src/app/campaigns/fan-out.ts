import type { Campaign, CampaignActivity, FanOutProgress, SkipReason } from '../../domain/campaign.js';
import type { Endpoint } from '../../domain/endpoint.js';
import { SlotBook } from '../../domain/slot-book.js';
import { allocate } from '../../domain/treatment-allocation.js';
import { WINDOW_MS } from '../../domain/whatsapp-window.js';
import type { CampaignMetrics } from '../../ports/campaign-metrics.js';
import type { CampaignStore } from '../../ports/campaign-store.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { EnqueueItem, SendQueue } from '../../ports/send-queue.js';
import { canonicalAddress } from '../delivery/recipient-address.js';
import type { RecipientHasher } from '../delivery/recipient-hasher.js';
import { RunPlan } from './campaign-schedule.js';
import type { CompiledTreatment } from './compile-campaign.js';

export interface FanOutDeps {
  readonly queue: Pick<SendQueue, 'enqueue'>;
  readonly metrics: Pick<CampaignMetrics, 'lastInbound'>;
  readonly campaigns: Pick<CampaignStore, 'recordSends' | 'sendsPerEndpoint'>;
  readonly hasher: RecipientHasher;
  readonly ids: IdGenerator;
  /** Tells this process's sender runner that work arrived. */
  readonly wake: (senderKey: string) => void;
}

const DAY_MS = 86_400_000;

/**
 * One page of a run's audience: each endpoint is counted once (opted out, another channel, held out, or its
 * treatment), checked (address, limits, WhatsApp window, variables) and, unless skipped with a reason, queued with
 * its send time (local time, quiet hours, the campaign's pace). The messages go in one `enqueue`: the ledger's
 * unique (activity, endpoint) key makes a page that is done again after a crash create nothing twice, and the
 * progress returned is what the caller saves with the cursor.
 *
 * @example
 * const { progress } = await fanOutPage(deps, { campaign, activity, treatments, now }, page, activity.progress);
 */
export async function fanOutPage(
  deps: FanOutDeps,
  run: {
    readonly campaign: Campaign;
    readonly activity: CampaignActivity;
    readonly treatments: readonly CompiledTreatment[];
    readonly now: number;
  },
  page: readonly Endpoint[],
  before: FanOutProgress,
): Promise<{ progress: FanOutProgress; queued: number }> {
  const { campaign, activity, treatments, now } = run;
  const counts = new ProgressCounter(before);
  const plan = new RunPlan(campaign.schedule, campaign.createdAt);
  const rate = campaign.limits.messagesPerSecond;
  const slots = rate === undefined ? undefined : new SlotBook(activity.scheduledStart, rate, before.slots);
  const sizes = treatments.map((t) => t.sizePercent);
  const maxDurationMs =
    campaign.limits.maximumDuration === undefined ? undefined : campaign.limits.maximumDuration * 1000;

  interface Candidate {
    endpoint: Endpoint;
    treatment: CompiledTreatment;
    to: string;
    recipientHash: string;
    dueAt: number;
  }
  const candidates: Candidate[] = [];
  for (const endpoint of page) {
    counts.total();
    if (endpoint.optOut === 'ALL') {
      counts.skip('opted_out');
      continue;
    }
    const allocation = allocate(campaign.id, endpoint.id, campaign.holdoutPercent, sizes);
    if (allocation.holdout) {
      counts.holdout();
      continue;
    }
    const treatment = treatments[allocation.treatment] as CompiledTreatment;
    counts.assigned(treatment.id);
    if (!treatment.endpointTypes.has(endpoint.channelType)) {
      counts.skip('other_channel', treatment.id);
      continue;
    }
    let to: string;
    try {
      to = canonicalAddress(treatment.channel.channelType, endpoint.address, 'address');
    } catch {
      counts.skip('invalid_address', treatment.id);
      continue;
    }
    const zone = endpoint.demographic.timezone;
    const nominal = plan.endpointDue(activity.scheduledStart, zone);
    candidates.push({
      endpoint,
      treatment,
      to,
      recipientHash: deps.hasher(treatment.channel.channelType, to),
      dueAt: plan.afterQuietTime(Math.max(nominal, activity.trigger === 'event' ? now : nominal), zone),
    });
  }

  const { daily, total } = campaign.limits;
  const history =
    (daily !== undefined || total !== undefined) && candidates.length > 0
      ? await deps.campaigns.sendsPerEndpoint(
          campaign.id,
          candidates.map((c) => c.endpoint.id),
          { since: now - DAY_MS, excludeActivityId: activity.id },
        )
      : undefined;
  const windows = new Map<string, Map<string, number>>();
  for (const treatment of treatments) {
    if (!treatment.needsWindow) continue;
    const hashes = candidates.filter((c) => c.treatment === treatment).map((c) => c.recipientHash);
    if (hashes.length > 0)
      windows.set(treatment.id, await deps.metrics.lastInbound(treatment.channel.senderKey, hashes));
  }

  const items: EnqueueItem[] = [];
  const woken = new Set<string>();
  let deadline = before.deadline;
  const scheduledTime = new Date(activity.scheduledStart).toISOString();
  for (const c of candidates) {
    const { treatment, endpoint } = c;
    const past = history?.get(endpoint.id);
    if (total !== undefined && (past?.total ?? 0) >= total) {
      counts.skip('total_limit', treatment.id);
      continue;
    }
    if (daily !== undefined && (past?.recent ?? 0) >= daily) {
      counts.skip('daily_limit', treatment.id);
      continue;
    }
    if (treatment.needsWindow) {
      const last = windows.get(treatment.id)?.get(c.recipientHash);
      if (last === undefined || last + WINDOW_MS <= Math.max(c.dueAt, now)) {
        counts.skip('window_closed', treatment.id);
        continue;
      }
    }
    const built = treatment.builder.build({ endpoint });
    if (!built.ok) {
      counts.skip('missing_variable', treatment.id);
      for (const name of built.missing) counts.missingVariable(name);
      continue;
    }
    let runAt = c.dueAt;
    if (slots) {
      // A slot may land in quiet time: move past it and take the next free slot there.
      for (let tries = 0; tries < 4; tries++) {
        runAt = slots.take(runAt);
        const allowed = plan.afterQuietTime(runAt, endpoint.demographic.timezone);
        if (allowed === runAt) break;
        runAt = allowed;
      }
    }
    if (maxDurationMs !== undefined) {
      const latest = c.dueAt + maxDurationMs;
      if (runAt > latest) {
        counts.skip('maximum_duration', treatment.id);
        continue;
      }
      deadline = Math.max(deadline ?? 0, latest);
    }
    const { channel } = treatment;
    items.push({
      message: {
        id: deps.ids.next(),
        appId: campaign.appId,
        channelId: channel.id,
        channelType: channel.channelType,
        senderKey: channel.senderKey,
        recipientHash: c.recipientHash,
        endpointId: endpoint.id,
        source: 'campaign',
        contentKind: built.content.kind,
        ...(built.content.kind === 'template' ? { templateName: built.content.name } : {}),
        status: 'queued',
        campaignId: campaign.id,
        activityId: activity.id,
        treatmentId: treatment.id,
        createdAt: now,
      },
      job: {
        payload: {
          appId: campaign.appId,
          channelId: channel.id,
          to: c.to,
          content: built.content,
          endpointId: endpoint.id,
          campaign: {
            campaignId: campaign.id,
            treatmentId: treatment.id,
            activityId: activity.id,
            scheduledTime,
          },
        },
        runAt,
        state: 'ready',
      },
    });
    counts.queued(treatment.id);
    if (runAt <= now + 1000) woken.add(channel.senderKey);
  }
  if (items.length > 0) {
    await deps.queue.enqueue(items);
    if (daily !== undefined || total !== undefined) {
      await deps.campaigns.recordSends(
        campaign.id,
        items.map((item) => ({
          endpointId: item.message.endpointId as string,
          activityId: activity.id,
          at: now,
        })),
      );
    }
  }
  for (const senderKey of woken) deps.wake(senderKey);
  return {
    progress: counts.result(slots?.intervals ?? before.slots, deadline),
    queued: items.length,
  };
}

/** Counts on top of the saved progress, immutable in and out. */
class ProgressCounter {
  private totalEndpoints: number;
  private held: number;
  private queuedTotal: number;
  private readonly skipped: Partial<Record<SkipReason, number>>;
  private readonly missing: Record<string, number>;
  private readonly treatments: Record<
    string,
    { endpoints: number; skipped: Partial<Record<SkipReason, number>>; queued: number }
  >;

  constructor(private readonly before: FanOutProgress) {
    this.totalEndpoints = before.totalEndpoints;
    this.held = before.holdout;
    this.queuedTotal = before.queued;
    this.skipped = { ...before.skipped };
    this.missing = { ...before.missingVariables };
    this.treatments = Object.fromEntries(
      Object.entries(before.treatments).map(([id, t]) => [id, { ...t, skipped: { ...t.skipped } }]),
    );
  }

  total(): void {
    this.totalEndpoints += 1;
  }

  holdout(): void {
    this.held += 1;
  }

  assigned(treatmentId: string): void {
    this.treatment(treatmentId).endpoints += 1;
  }

  skip(reason: SkipReason, treatmentId?: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    if (treatmentId !== undefined) {
      const t = this.treatment(treatmentId);
      t.skipped[reason] = (t.skipped[reason] ?? 0) + 1;
    }
  }

  missingVariable(name: string): void {
    this.missing[name] = (this.missing[name] ?? 0) + 1;
  }

  queued(treatmentId: string): void {
    this.queuedTotal += 1;
    this.treatment(treatmentId).queued += 1;
  }

  result(slots: FanOutProgress['slots'], deadline: number | undefined): FanOutProgress {
    return {
      totalEndpoints: this.totalEndpoints,
      holdout: this.held,
      skipped: this.skipped,
      missingVariables: this.missing,
      queued: this.queuedTotal,
      treatments: this.treatments,
      slots,
      ...(deadline === undefined ? {} : { deadline }),
      ...(this.before.targets ? { targets: this.before.targets } : {}),
    };
  }

  private treatment(id: string) {
    let t = this.treatments[id];
    if (!t) {
      t = { endpoints: 0, skipped: {}, queued: 0 };
      this.treatments[id] = t;
    }
    return t;
  }
}
