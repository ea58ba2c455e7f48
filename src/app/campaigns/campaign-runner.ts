import { type CampaignActivity, EMPTY_PROGRESS, type FanOutProgress } from '../../domain/campaign.js';
import { isHeraldError } from '../../domain/errors.js';
import type { CampaignMetrics } from '../../ports/campaign-metrics.js';
import type { CampaignQueueControl } from '../../ports/campaign-queue-control.js';
import type { CampaignStore } from '../../ports/campaign-store.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { SegmentStore } from '../../ports/segment-store.js';
import { PollingLoop } from '../delivery/polling-loop.js';
import { RunPlan } from './campaign-schedule.js';
import { type CompileDeps, type CompiledTreatment, compileCampaign } from './compile-campaign.js';
import { type FanOutDeps, fanOutPage } from './fan-out.js';

export interface CampaignRunnerOptions {
  readonly workerId: string;
  /** Endpoints read and enqueued at once. */
  readonly pageSize: number;
  /** How long a run's fan-out stays with a worker that stopped renewing it. */
  readonly leaseMs: number;
  /** How long one step fans out before it lets the other work (new runs, completions) have a turn. */
  readonly sliceMs: number;
  /** How often the scheduler looks for due work when there is none. */
  readonly idleMs: number;
  /** How often a fanned-out run is checked for completion. */
  readonly completionCheckMs: number;
}

export interface CampaignRunnerDeps extends FanOutDeps, CompileDeps {
  readonly campaigns: CampaignStore;
  readonly segments: Pick<SegmentStore, 'pageSegmentEndpoints'>;
  readonly metrics: CampaignMetrics;
  readonly control: CampaignQueueControl;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: CampaignRunnerOptions;
}

/**
 * The campaign scheduler, one per `serve` or `worker` process: starts due runs (each exactly once, whatever the
 * number of processes: the run's row is unique per campaign and run number and the campaign moves on in the same
 * transaction), fans runs out page by page under a lease (a crashed worker's run is resumed by another from its
 * saved cursor), completes runs whose messages have all left the queue, and expires the unsent messages of runs
 * past their `maximumDuration`.
 *
 * @example
 * const runner = new CampaignRunner(deps); runner.start(); ... await runner.stop();
 */
export class CampaignRunner {
  private readonly loop: PollingLoop;
  private readonly checkedAt = new Map<string, number>();

  constructor(private readonly deps: CampaignRunnerDeps) {
    this.loop = new PollingLoop('campaigns', () => this.step(), { idleMs: deps.options.idleMs }, deps.logger);
  }

  start(): void {
    this.loop.start();
  }

  /** Something changed (a campaign was created, resumed): look now rather than after the idle wait. */
  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round of every kind of work; returns how much was done (0: idle). */
  async step(): Promise<number> {
    let done = await this.startDueRuns();
    done += await this.fanOut();
    done += await this.completeRuns();
    return done;
  }

  /** Creates the runs that are due and moves EVENT campaigns between their start and end. */
  async startDueRuns(): Promise<number> {
    const now = this.deps.clock.now();
    let started = 0;
    for (const campaign of await this.deps.campaigns.dueCampaigns(now, 20)) {
      const plan = new RunPlan(campaign.schedule, campaign.createdAt);
      if (campaign.schedule.frequency === 'EVENT') {
        const ending = campaign.state === 'EXECUTING';
        const moved = await this.deps.campaigns.advance(
          campaign,
          ending
            ? { state: 'COMPLETED', nextRunAt: null }
            : { state: 'EXECUTING', nextRunAt: campaign.schedule.endTime ?? null },
          now,
        );
        if (moved) started += 1;
        continue;
      }
      if (campaign.nextRunAt === null) continue;
      const nominal = plan.nominalOf(campaign.nextRunAt);
      const activity: CampaignActivity = {
        appId: campaign.appId,
        id: this.deps.ids.next(),
        campaignId: campaign.id,
        campaignVersion: campaign.version,
        triggerKey: `run:${campaign.runs + 1}`,
        trigger: 'schedule',
        state: 'RUNNING',
        scheduledStart: nominal,
        startedAt: null,
        endedAt: null,
        fanOutDone: false,
        cursor: null,
        progress: EMPTY_PROGRESS,
        pausedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      const run = await this.deps.campaigns.startRun(campaign, {
        activity,
        nextRunAt: plan.nextDueAfter(nominal, now),
      });
      if (run) {
        started += 1;
        this.deps.logger.info({ campaignId: campaign.id, activityId: run.id }, 'campaign run started');
      }
    }
    return started;
  }

  /** Fans out one run for up to `sliceMs`; returns the pages done. */
  async fanOut(): Promise<number> {
    const { campaigns, clock, options } = this.deps;
    for (const activity of await campaigns.activitiesToFanOut(clock.now(), 5)) {
      if (!(await campaigns.leaseActivity(activity.id, options.workerId, clock.now(), options.leaseMs)))
        continue;
      try {
        return (await this.fanOutActivity(activity)).pages;
      } finally {
        await campaigns.releaseActivity(activity.id, options.workerId);
      }
    }
    return 0;
  }

  /**
   * Fans out a run the caller holds the lease of, page by page, saving the cursor and counts after each page.
   * Event-triggered runs go through their target endpoints; scheduled runs stream their segment.
   */
  async fanOutActivity(activity: CampaignActivity): Promise<{ pages: number; progress: FanOutProgress }> {
    const only = activity.progress.targets;
    const { campaigns, clock, options, logger } = this.deps;
    const campaign = await campaigns.get(activity.appId, activity.campaignId);
    if (!campaign) {
      await campaigns.setActivityState(
        { appId: activity.appId, activityId: activity.id },
        ['RUNNING'],
        'CANCELLED',
        clock.now(),
      );
      return { pages: 1, progress: activity.progress };
    }
    let treatments: CompiledTreatment[];
    try {
      treatments = await compileCampaign(this.deps, campaign);
    } catch (error) {
      if (!isHeraldError(error) || error.status >= 500) throw error;
      await this.fail(activity, activity.progress, error.code, error.message);
      return { pages: 1, progress: activity.progress };
    }
    const started = performance.now();
    let cursor = activity.cursor;
    let progress: FanOutProgress = activity.progress;
    let pages = 0;
    for (;;) {
      const now = clock.now();
      let page: Awaited<ReturnType<SegmentStore['pageSegmentEndpoints']>>;
      try {
        page = await this.deps.segments.pageSegmentEndpoints(campaign.appId, campaign.segmentId, {
          limit: options.pageSize,
          includeOptedOut: true,
          now,
          ...(cursor === null ? {} : { afterId: cursor }),
          ...(campaign.segmentVersion === undefined ? {} : { version: campaign.segmentVersion }),
          ...(only ? { endpointIds: only } : {}),
        });
      } catch (error) {
        if (!isHeraldError(error) || error.status >= 500) throw error;
        await this.fail(activity, progress, error.code, error.message);
        return { pages: pages + 1, progress };
      }
      const outcome = await fanOutPage(this.deps, { campaign, activity, treatments, now }, page, progress);
      progress = outcome.progress;
      const last = page.at(-1);
      if (last) cursor = last.id;
      const done = page.length < options.pageSize;
      const saved = await campaigns.saveProgress(
        activity.id,
        options.workerId,
        { cursor, progress, fanOutDone: done, ...(activity.startedAt === null ? { startedAt: now } : {}) },
        clock.now(),
      );
      pages += 1;
      if (!saved) {
        logger.warn({ activityId: activity.id }, 'campaign run lease lost during fan-out');
        return { pages, progress };
      }
      if (done) return { pages, progress };
      // Paused or cancelled meanwhile (lease renewal needs RUNNING): stop, and catch jobs this page added.
      if (!(await campaigns.leaseActivity(activity.id, options.workerId, clock.now(), options.leaseMs))) {
        await this.settleStopped(activity);
        return { pages, progress };
      }
      if (performance.now() - started > options.sliceMs) return { pages, progress };
    }
  }

  /** Completes fanned-out runs whose messages all left the queue; expires those past their maximum duration. */
  async completeRuns(): Promise<number> {
    const { campaigns, clock, metrics, control, options } = this.deps;
    let completed = 0;
    let afterId: string | undefined;
    for (;;) {
      const batch = await campaigns.activitiesFannedOut(100, afterId);
      if (batch.length === 0) break;
      afterId = batch.at(-1)?.id;
      for (const activity of batch) {
        const now = clock.now();
        if (now - (this.checkedAt.get(activity.id) ?? 0) < options.completionCheckMs) continue;
        this.checkedAt.set(activity.id, now);
        const deadline = activity.progress.deadline;
        if (deadline !== undefined && now > deadline) {
          await control.end(
            activity.id,
            'expired',
            {
              code: 'HERALD_CAMPAIGN_MAXIMUM_DURATION',
              message: 'not sent within the campaign’s maximumDuration',
            },
            now,
          );
        }
        if (await metrics.hasPending(activity.campaignId, activity.id)) continue;
        if (!(await campaigns.completeRun(activity, now))) continue;
        this.checkedAt.delete(activity.id);
        completed += 1;
        this.deps.logger.info(
          { campaignId: activity.campaignId, activityId: activity.id },
          'campaign run completed',
        );
      }
      if (batch.length < 100) break;
    }
    return completed;
  }

  /** A run that cannot go on (its segment or template is gone): completed with the reason, its campaign moves on. */
  private async fail(
    activity: CampaignActivity,
    progress: FanOutProgress,
    code: string,
    message: string,
  ): Promise<void> {
    const { campaigns, clock, options } = this.deps;
    await campaigns.saveProgress(
      activity.id,
      options.workerId,
      { cursor: activity.cursor, progress: { ...progress, error: { code, message } }, fanOutDone: true },
      clock.now(),
    );
    this.deps.logger.warn({ activityId: activity.id, code }, 'campaign run failed');
  }

  /** A paused run's last page went in as ready jobs: pause them too; a cancelled run's are ended. */
  private async settleStopped(activity: CampaignActivity): Promise<void> {
    const { campaigns, control, clock } = this.deps;
    const current = await campaigns.getActivity(activity.appId, activity.id);
    if (current?.state === 'PAUSED') await control.pause(activity.id, clock.now());
    if (current?.state === 'CANCELLED')
      await control.end(
        activity.id,
        'cancelled',
        { code: 'HERALD_CAMPAIGN_CANCELLED', message: 'the campaign was cancelled' },
        clock.now(),
      );
  }
}
