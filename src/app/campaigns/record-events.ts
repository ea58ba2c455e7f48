import { type CampaignActivity, EMPTY_PROGRESS } from '../../domain/campaign.js';
import { type ErrorDetail, HeraldError } from '../../domain/errors.js';
import { type EndpointEvent, eventMatches } from '../../domain/event-filter.js';
import type { CampaignStore } from '../../ports/campaign-store.js';
import type { Clock } from '../../ports/clock.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { Logger } from '../../ports/logger.js';
import type { CampaignRunner } from './campaign-runner.js';

export interface RecordEventsDeps {
  readonly endpoints: Pick<EndpointStore, 'getMany' | 'touchActivity'>;
  readonly campaigns: Pick<
    CampaignStore,
    'eventCampaigns' | 'addActivity' | 'leaseActivity' | 'releaseActivity'
  >;
  readonly runner: Pick<CampaignRunner, 'fanOutActivity'>;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly workerId: string;
  /** How long a triggered run's fan-out is leased to this request. */
  readonly leaseMs: number;
}

export interface EventOutcome {
  /** Per EVENT campaign the events triggered: its new run and how many endpoints it queued. */
  readonly triggered: { campaignId: string; activityId: string; endpoints: number; queued: number }[];
}

/**
 * Records endpoints' events: every endpoint named must exist (or nothing is recorded), their activity time moves on
 * (segments' recency), and each EXECUTING EVENT campaign whose filter an event matches gets a run of its own for
 * the matching endpoints that are in its segment, fanned out here and now so the messages go out within seconds.
 *
 * @example
 * await recordEvents(deps, appId, [{ endpointId: 'e-1', eventType: 'purchase', attributes: {}, metrics: { total: 42 }, timestamp: now }]);
 */
export async function recordEvents(
  deps: RecordEventsDeps,
  appId: string,
  events: readonly EndpointEvent[],
): Promise<EventOutcome> {
  const ids = [...new Set(events.map((e) => e.endpointId))];
  const found = new Set((await deps.endpoints.getMany(appId, ids)).map((e) => e.id));
  const unknown: ErrorDetail[] = [];
  events.forEach((event, index) => {
    if (!found.has(event.endpointId))
      unknown.push({ index, field: 'endpointId', reason: `endpoint ${event.endpointId} does not exist` });
  });
  if (unknown.length > 0) {
    throw new HeraldError(
      'HERALD_BATCH_INVALID',
      `${unknown.length} event(s) name unknown endpoints; nothing was recorded`,
      {
        details: unknown,
      },
    );
  }
  const latest = new Map<string, number>();
  for (const event of events)
    latest.set(event.endpointId, Math.max(latest.get(event.endpointId) ?? 0, event.timestamp));
  const byTime = new Map<number, string[]>();
  for (const [id, at] of latest) byTime.set(at, [...(byTime.get(at) ?? []), id]);
  for (const [at, endpointIds] of byTime) await deps.endpoints.touchActivity(appId, endpointIds, at);

  const triggered: EventOutcome['triggered'] = [];
  const now = deps.clock.now();
  for (const campaign of await deps.campaigns.eventCampaigns(appId)) {
    const end = campaign.schedule.endTime;
    if (end !== undefined && now > end) continue;
    const matching = [
      ...new Set(
        events.filter((e) => eventMatches(campaign.schedule.eventFilter, e)).map((e) => e.endpointId),
      ),
    ].sort();
    if (matching.length === 0) continue;
    const activity: CampaignActivity = {
      appId,
      id: deps.ids.next(),
      campaignId: campaign.id,
      campaignVersion: campaign.version,
      triggerKey: `event:${deps.ids.next()}`,
      trigger: 'event',
      state: 'RUNNING',
      scheduledStart: now,
      startedAt: null,
      endedAt: null,
      fanOutDone: false,
      cursor: null,
      progress: { ...EMPTY_PROGRESS, targets: matching },
      pausedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await deps.campaigns.addActivity(activity);
    if (!(await deps.campaigns.leaseActivity(activity.id, deps.workerId, now, deps.leaseMs))) continue;
    try {
      const { progress } = await deps.runner.fanOutActivity(activity);
      triggered.push({
        campaignId: campaign.id,
        activityId: activity.id,
        endpoints: matching.length,
        queued: progress.queued,
      });
    } catch (error) {
      // The run stays RUNNING: the scheduler fans it out (its targets only) once the lease is released.
      deps.logger.error(
        { err: error, activityId: activity.id },
        'event-triggered fan-out failed; the scheduler retries it',
      );
      triggered.push({
        campaignId: campaign.id,
        activityId: activity.id,
        endpoints: matching.length,
        queued: 0,
      });
    } finally {
      await deps.campaigns.releaseActivity(activity.id, deps.workerId);
    }
  }
  return { triggered };
}
