import type {
  ActivityState,
  Campaign,
  CampaignActivity,
  CampaignState,
  FanOutProgress,
} from '../domain/campaign.js';
import type { StoredChannel } from './channel-store.js';

/** What a saved campaign version does to the channels it manages. */
export interface ManagedChannelChanges {
  /** Created or replaced (credentials sealed). */
  readonly put: readonly StoredChannel[];
  /** Channel ids deleted: those the version no longer uses (absent ones are no error). */
  readonly remove: readonly string[];
}

/**
 * Campaigns and their runs (activities), with the conditional updates that let several worker processes share the
 * scheduling safely: a scheduled run is created once (unique per campaign and run number), and a run's fan-out is
 * done by whoever holds its lease, which saves the cursor and counters after every page.
 *
 * Leaves out: the messages themselves (the send queue and ledger) and their counts (`CampaignMetrics`).
 *
 * @example
 * const due = await campaigns.dueCampaigns(now, 10);
 * const activity = await campaigns.startRun(due[0], { activity, nextRunAt }); // undefined when another worker did it
 * if (await campaigns.leaseActivity(activity.id, workerId, now, 30_000)) {
 *   await campaigns.saveProgress(activity.id, workerId, { cursor: 'e-999', progress, fanOutDone: false }, now);
 * }
 */
export interface CampaignStore {
  /** Creates the campaign and the channels it manages (`campaign-<id>-<treatment>`) in one transaction. */
  create(campaign: Campaign, channels?: readonly StoredChannel[]): Promise<void>;
  /**
   * Replaces the definition when `expectedVersion` is current, and in the same transaction puts the channels the
   * new version manages and deletes those listed in `channels.remove`; false, with nothing changed, otherwise.
   */
  update(campaign: Campaign, expectedVersion: number, channels?: ManagedChannelChanges): Promise<boolean>;
  get(appId: string, campaignId: string): Promise<Campaign | undefined>;
  list(appId: string, page: { limit: number; afterId?: string }): Promise<Campaign[]>;
  /** Deletes the campaign, its activities and the listed channels (those it managed); false when absent. */
  delete(appId: string, campaignId: string, channelIds?: readonly string[]): Promise<boolean>;
  /** Campaigns still to run that use a template (any version). */
  usingTemplate(appId: string, templateId: string): Promise<Campaign[]>;
  /** Campaigns that have not finished (not COMPLETED or CANCELLED) and run on the segment. */
  usingSegment(appId: string, segmentId: string): Promise<Campaign[]>;
  /** EXECUTING (or SCHEDULED and started) EVENT campaigns of an app. */
  eventCampaigns(appId: string): Promise<Campaign[]>;
  /** Campaigns whose `nextRunAt` has come, SCHEDULED, EXECUTING or PENDING_NEXT_RUN. */
  dueCampaigns(now: number, limit: number): Promise<Campaign[]>;
  /**
   * Creates the campaign's next scheduled run and moves the campaign on (state EXECUTING, `runs` + 1, `nextRunAt`),
   * in one transaction, only if nobody did it first (`runs` is still `campaign.runs`). Undefined otherwise.
   */
  startRun(
    campaign: Campaign,
    run: { activity: CampaignActivity; nextRunAt: number | null },
  ): Promise<CampaignActivity | undefined>;
  /** Sets `nextRunAt` (and the state) when `runs` is still what the caller saw: EVENT campaigns and skipped runs. */
  advance(
    campaign: Campaign,
    change: { state: CampaignState; nextRunAt: number | null },
    now: number,
  ): Promise<boolean>;
  /** Sets the state when it is one of `from`. */
  setState(
    appId: string,
    campaignId: string,
    from: readonly CampaignState[],
    to: CampaignState,
    now: number,
  ): Promise<boolean>;
  /** Inserts an activity (event-triggered runs); false when its trigger key exists. */
  addActivity(activity: CampaignActivity): Promise<boolean>;
  getActivity(appId: string, activityId: string): Promise<CampaignActivity | undefined>;
  /** Newest first. */
  listActivities(
    appId: string,
    campaignId: string,
    page: { limit: number; beforeId?: string },
  ): Promise<CampaignActivity[]>;
  /** RUNNING activities whose fan-out is not done and whose lease is free. */
  activitiesToFanOut(now: number, limit: number): Promise<CampaignActivity[]>;
  /** RUNNING activities whose fan-out is done: candidates to complete. */
  activitiesFannedOut(limit: number, afterId?: string): Promise<CampaignActivity[]>;
  /** Takes or renews a run's fan-out lease; false when another live worker holds it. */
  leaseActivity(activityId: string, workerId: string, now: number, ttlMs: number): Promise<boolean>;
  releaseActivity(activityId: string, workerId: string): Promise<void>;
  /** Saves a page's outcome; false (nothing saved) when the caller lost the lease. */
  saveProgress(
    activityId: string,
    workerId: string,
    update: { cursor: string | null; progress: FanOutProgress; fanOutDone: boolean; startedAt?: number },
    now: number,
  ): Promise<boolean>;
  /** Moves activities of a campaign (or one activity) from one of `from` to `to`; returns their ids. */
  setActivityState(
    filter: { appId: string; campaignId?: string; activityId?: string },
    from: readonly ActivityState[],
    to: ActivityState,
    now: number,
  ): Promise<string[]>;
  /**
   * Completes a RUNNING run and, in the same transaction, moves its campaign on when that was its last open run
   * (EXECUTING -> PENDING_NEXT_RUN, or COMPLETED when no run is left; EVENT campaigns stay EXECUTING), so a
   * crash never leaves a finished campaign EXECUTING. False when the run was not RUNNING.
   */
  completeRun(activity: { appId: string; campaignId: string; id: string }, now: number): Promise<boolean>;
  /**
   * Records messages a campaign with daily or total limits queued, one row per (endpoint, run): recording a
   * resumed page again changes nothing.
   */
  recordSends(
    campaignId: string,
    sends: readonly { endpointId: string; activityId: string; at: number }[],
  ): Promise<void>;
  /** Per endpoint: the campaign's recorded messages, in total and since `since`, leaving out one run. */
  sendsPerEndpoint(
    campaignId: string,
    endpointIds: readonly string[],
    options: { since: number; excludeActivityId: string },
  ): Promise<Map<string, { total: number; recent: number }>>;
  /** Activities of a campaign in one of `states`. */
  activitiesIn(
    appId: string,
    campaignId: string,
    states: readonly ActivityState[],
  ): Promise<CampaignActivity[]>;
}
