import { type Kysely, type Selectable, sql } from 'kysely';
import {
  type ActivityState,
  type Campaign,
  type CampaignActivity,
  type CampaignDefinition,
  type CampaignState,
  EMPTY_PROGRESS,
  type FanOutProgress,
} from '../domain/campaign.js';
import type { CampaignStore, ManagedChannelChanges } from '../ports/campaign-store.js';
import type { StoredChannel } from '../ports/channel-store.js';
import { readJson } from './audience-sql.js';
import { writeChannel } from './channel-store.js';
import type { Database } from './database.js';
import { isUniqueViolation } from './unique-violation.js';
import { chunk } from './values-cte.js';

type CampaignRow = Selectable<Database['campaigns']>;
type ActivityRow = Selectable<Database['campaign_activities']>;

/** States in which the scheduler still has something to do at `next_run_at`. */
const SCHEDULABLE: readonly CampaignState[] = ['SCHEDULED', 'EXECUTING', 'PENDING_NEXT_RUN'];

export class KyselyCampaignStore implements CampaignStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(campaign: Campaign, channels: readonly StoredChannel[] = []): Promise<void> {
    if (channels.length === 0) {
      await this.db.insertInto('campaigns').values(toCampaignRow(campaign)).execute();
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (const channel of channels) await writeChannel(trx, channel);
      await trx.insertInto('campaigns').values(toCampaignRow(campaign)).execute();
    });
  }

  async update(
    campaign: Campaign,
    expectedVersion: number,
    channels: ManagedChannelChanges = { put: [], remove: [] },
  ): Promise<boolean> {
    if (channels.put.length === 0 && channels.remove.length === 0)
      return this.updateDefinition(this.db, campaign, expectedVersion);
    // The channels are written after the version check, so a version that lost the race changes none of them.
    return this.db.transaction().execute(async (trx) => {
      if (!(await this.updateDefinition(trx, campaign, expectedVersion))) return false;
      for (const channel of channels.put) await writeChannel(trx, channel);
      await deleteChannels(trx, campaign.appId, channels.remove);
      return true;
    });
  }

  private async updateDefinition(
    db: Kysely<Database>,
    campaign: Campaign,
    expectedVersion: number,
  ): Promise<boolean> {
    const row = toCampaignRow(campaign);
    const result = await db
      .updateTable('campaigns')
      .set({
        version: row.version,
        name: row.name,
        segment_id: row.segment_id,
        frequency: row.frequency,
        definition: row.definition,
        state: row.state,
        next_run_at: row.next_run_at,
        template_ids: row.template_ids,
        updated_at: row.updated_at,
      })
      .where('app_id', '=', campaign.appId)
      .where('id', '=', campaign.id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async get(appId: string, campaignId: string): Promise<Campaign | undefined> {
    const row = await this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', campaignId)
      .executeTakeFirst();
    return row && toCampaign(row);
  }

  async list(appId: string, page: { limit: number; afterId?: string }): Promise<Campaign[]> {
    let query = this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('id')
      .limit(page.limit);
    if (page.afterId !== undefined) query = query.where('id', '>', page.afterId);
    return (await query.execute()).map(toCampaign);
  }

  async delete(appId: string, campaignId: string, channelIds: readonly string[] = []): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await deleteChannels(trx, appId, channelIds);
      await trx
        .deleteFrom('campaign_activities')
        .where('app_id', '=', appId)
        .where('campaign_id', '=', campaignId)
        .execute();
      await trx.deleteFrom('campaign_endpoint_sends').where('campaign_id', '=', campaignId).execute();
      const result = await trx
        .deleteFrom('campaigns')
        .where('app_id', '=', appId)
        .where('id', '=', campaignId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async usingTemplate(appId: string, templateId: string): Promise<Campaign[]> {
    const rows = await this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('app_id', '=', appId)
      .where('state', 'not in', ['CANCELLED', 'COMPLETED'])
      .where(sql<boolean>`(' ' || template_ids || ' ') like ${`% ${templateId} %`}`)
      .execute();
    return rows.map(toCampaign);
  }

  async usingSegment(appId: string, segmentId: string): Promise<Campaign[]> {
    const rows = await this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('app_id', '=', appId)
      .where('state', 'not in', ['CANCELLED', 'COMPLETED'])
      .where('segment_id', '=', segmentId)
      .execute();
    return rows.map(toCampaign);
  }

  async eventCampaigns(appId: string): Promise<Campaign[]> {
    const rows = await this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('app_id', '=', appId)
      .where('frequency', '=', 'EVENT')
      .where('state', '=', 'EXECUTING')
      .execute();
    return rows.map(toCampaign);
  }

  async dueCampaigns(now: number, limit: number): Promise<Campaign[]> {
    const rows = await this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('next_run_at', '<=', now)
      .where('state', 'in', [...SCHEDULABLE])
      .orderBy('next_run_at')
      .limit(limit)
      .execute();
    return rows.map(toCampaign);
  }

  async startRun(
    campaign: Campaign,
    run: { activity: CampaignActivity; nextRunAt: number | null },
  ): Promise<CampaignActivity | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('campaigns')
        .set({
          state: 'EXECUTING',
          runs: campaign.runs + 1,
          next_run_at: run.nextRunAt,
          updated_at: run.activity.createdAt,
        })
        .where('app_id', '=', campaign.appId)
        .where('id', '=', campaign.id)
        .where('runs', '=', campaign.runs)
        .where('state', 'in', [...SCHEDULABLE])
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) return undefined;
      await trx.insertInto('campaign_activities').values(toActivityRow(run.activity)).execute();
      return run.activity;
    });
  }

  async advance(
    campaign: Campaign,
    change: { state: CampaignState; nextRunAt: number | null },
    now: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('campaigns')
      .set({ state: change.state, next_run_at: change.nextRunAt, updated_at: now })
      .where('app_id', '=', campaign.appId)
      .where('id', '=', campaign.id)
      .where('runs', '=', campaign.runs)
      .where('version', '=', campaign.version)
      .where('state', '=', campaign.state)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async setState(
    appId: string,
    campaignId: string,
    from: readonly CampaignState[],
    to: CampaignState,
    now: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('campaigns')
      // A campaign that is over has no next run to show.
      .set({
        state: to,
        updated_at: now,
        ...(to === 'CANCELLED' || to === 'COMPLETED' ? { next_run_at: null } : {}),
      })
      .where('app_id', '=', appId)
      .where('id', '=', campaignId)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async addActivity(activity: CampaignActivity): Promise<boolean> {
    try {
      await this.db.insertInto('campaign_activities').values(toActivityRow(activity)).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async getActivity(appId: string, activityId: string): Promise<CampaignActivity | undefined> {
    const row = await this.db
      .selectFrom('campaign_activities')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', activityId)
      .executeTakeFirst();
    return row && toActivity(row);
  }

  async listActivities(
    appId: string,
    campaignId: string,
    page: { limit: number; beforeId?: string },
  ): Promise<CampaignActivity[]> {
    let query = this.db
      .selectFrom('campaign_activities')
      .selectAll()
      .where('app_id', '=', appId)
      .where('campaign_id', '=', campaignId)
      .orderBy('id', 'desc')
      .limit(page.limit);
    if (page.beforeId !== undefined) query = query.where('id', '<', page.beforeId);
    return (await query.execute()).map(toActivity);
  }

  async activitiesToFanOut(now: number, limit: number): Promise<CampaignActivity[]> {
    const rows = await this.db
      .selectFrom('campaign_activities')
      .selectAll()
      .where('state', '=', 'RUNNING')
      .where('fan_out_done', '=', 0)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toActivity);
  }

  async activitiesFannedOut(limit: number, afterId?: string): Promise<CampaignActivity[]> {
    let query = this.db
      .selectFrom('campaign_activities')
      .selectAll()
      .where('state', '=', 'RUNNING')
      .where('fan_out_done', '=', 1)
      .orderBy('id')
      .limit(limit);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    return (await query.execute()).map(toActivity);
  }

  async leaseActivity(activityId: string, workerId: string, now: number, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('campaign_activities')
      .set({ lease_holder: workerId, lease_until: now + ttlMs })
      .where('id', '=', activityId)
      .where('state', '=', 'RUNNING')
      .where((eb) =>
        eb.or([
          eb('lease_holder', '=', workerId),
          eb('lease_until', 'is', null),
          eb('lease_until', '<', now),
        ]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async releaseActivity(activityId: string, workerId: string): Promise<void> {
    await this.db
      .updateTable('campaign_activities')
      .set({ lease_holder: null, lease_until: null })
      .where('id', '=', activityId)
      .where('lease_holder', '=', workerId)
      .execute();
  }

  async saveProgress(
    activityId: string,
    workerId: string,
    update: { cursor: string | null; progress: FanOutProgress; fanOutDone: boolean; startedAt?: number },
    now: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('campaign_activities')
      .set({
        cursor: update.cursor,
        progress: JSON.stringify(update.progress),
        fan_out_done: update.fanOutDone ? 1 : 0,
        updated_at: now,
        ...(update.startedAt === undefined ? {} : { started_at: update.startedAt }),
      })
      .where('id', '=', activityId)
      .where('lease_holder', '=', workerId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async setActivityState(
    filter: { appId: string; campaignId?: string; activityId?: string },
    from: readonly ActivityState[],
    to: ActivityState,
    now: number,
  ): Promise<string[]> {
    let query = this.db
      .updateTable('campaign_activities')
      .set({
        state: to,
        updated_at: now,
        ...(to === 'PAUSED' ? { paused_at: now } : {}),
        ...(to === 'COMPLETED' || to === 'CANCELLED'
          ? { ended_at: now, lease_holder: null, lease_until: null }
          : {}),
      })
      .where('app_id', '=', filter.appId)
      .where('state', 'in', [...from]);
    if (filter.campaignId !== undefined) query = query.where('campaign_id', '=', filter.campaignId);
    if (filter.activityId !== undefined) query = query.where('id', '=', filter.activityId);
    const rows = await query.returning('id').execute();
    return rows.map((r) => r.id);
  }

  async completeRun(
    activity: { appId: string; campaignId: string; id: string },
    now: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('campaign_activities')
        .set({ state: 'COMPLETED', updated_at: now, ended_at: now, lease_holder: null, lease_until: null })
        .where('app_id', '=', activity.appId)
        .where('id', '=', activity.id)
        .where('state', '=', 'RUNNING')
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) return false;
      const open = await trx
        .selectFrom('campaign_activities')
        .select('id')
        .where('app_id', '=', activity.appId)
        .where('campaign_id', '=', activity.campaignId)
        .where('state', 'in', ['RUNNING', 'PAUSED', 'PENDING'])
        .limit(1)
        .executeTakeFirst();
      if (open !== undefined) return true;
      const campaign = await trx
        .selectFrom('campaigns')
        .select(['frequency', 'next_run_at'])
        .where('app_id', '=', activity.appId)
        .where('id', '=', activity.campaignId)
        .where('state', '=', 'EXECUTING')
        .executeTakeFirst();
      if (campaign === undefined || campaign.frequency === 'EVENT') return true;
      await trx
        .updateTable('campaigns')
        .set({ state: campaign.next_run_at === null ? 'COMPLETED' : 'PENDING_NEXT_RUN', updated_at: now })
        .where('app_id', '=', activity.appId)
        .where('id', '=', activity.campaignId)
        .where('state', '=', 'EXECUTING')
        .execute();
      return true;
    });
  }

  async recordSends(
    campaignId: string,
    sends: readonly { endpointId: string; activityId: string; at: number }[],
  ): Promise<void> {
    for (const part of chunk(sends, 1000)) {
      await this.db
        .insertInto('campaign_endpoint_sends')
        .values(
          part.map((s) => ({
            campaign_id: campaignId,
            endpoint_id: s.endpointId,
            activity_id: s.activityId,
            created_at: s.at,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async sendsPerEndpoint(
    campaignId: string,
    endpointIds: readonly string[],
    options: { since: number; excludeActivityId: string },
  ): Promise<Map<string, { total: number; recent: number }>> {
    const counts = new Map<string, { total: number; recent: number }>();
    for (const part of chunk(endpointIds, 500)) {
      const rows = await this.db
        .selectFrom('campaign_endpoint_sends')
        .select((eb) => [
          'endpoint_id',
          eb.fn.countAll<number>().as('total'),
          eb.fn
            .sum<number>(eb.case().when('created_at', '>=', options.since).then(1).else(0).end())
            .as('recent'),
        ])
        .where('campaign_id', '=', campaignId)
        .where('endpoint_id', 'in', part)
        .where('activity_id', '!=', options.excludeActivityId)
        .groupBy('endpoint_id')
        .execute();
      for (const row of rows)
        counts.set(row.endpoint_id, { total: Number(row.total), recent: Number(row.recent ?? 0) });
    }
    return counts;
  }

  async activitiesIn(
    appId: string,
    campaignId: string,
    states: readonly ActivityState[],
  ): Promise<CampaignActivity[]> {
    const rows = await this.db
      .selectFrom('campaign_activities')
      .selectAll()
      .where('app_id', '=', appId)
      .where('campaign_id', '=', campaignId)
      .where('state', 'in', [...states])
      .orderBy('id')
      .execute();
    return rows.map(toActivity);
  }
}

async function deleteChannels(
  db: Kysely<Database>,
  appId: string,
  channelIds: readonly string[],
): Promise<void> {
  if (channelIds.length === 0) return;
  await db
    .deleteFrom('channels')
    .where('app_id', '=', appId)
    .where('id', 'in', [...channelIds])
    .execute();
}

function toCampaignRow(campaign: Campaign) {
  const definition: CampaignDefinition = {
    name: campaign.name,
    ...(campaign.description === undefined ? {} : { description: campaign.description }),
    segmentId: campaign.segmentId,
    ...(campaign.segmentVersion === undefined ? {} : { segmentVersion: campaign.segmentVersion }),
    treatments: campaign.treatments,
    schedule: campaign.schedule,
    limits: campaign.limits,
    holdoutPercent: campaign.holdoutPercent,
  };
  const templateIds = new Set(
    campaign.treatments.flatMap((t) => ('templateId' in t.message ? [t.message.templateId] : [])),
  );
  return {
    app_id: campaign.appId,
    id: campaign.id,
    version: campaign.version,
    name: campaign.name,
    segment_id: campaign.segmentId,
    frequency: campaign.schedule.frequency,
    definition: JSON.stringify(definition),
    state: campaign.state,
    next_run_at: campaign.nextRunAt,
    runs: campaign.runs,
    template_ids: [...templateIds].join(' '),
    created_at: campaign.createdAt,
    updated_at: campaign.updatedAt,
  };
}

function toCampaign(row: CampaignRow): Campaign {
  const definition = readJson<CampaignDefinition>(row.definition, {} as CampaignDefinition);
  return {
    ...definition,
    appId: row.app_id,
    id: row.id,
    version: Number(row.version),
    state: row.state as CampaignState,
    nextRunAt: row.next_run_at === null ? null : Number(row.next_run_at),
    runs: Number(row.runs),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toActivityRow(activity: CampaignActivity) {
  return {
    id: activity.id,
    app_id: activity.appId,
    campaign_id: activity.campaignId,
    campaign_version: activity.campaignVersion,
    trigger_key: activity.triggerKey,
    trigger: activity.trigger,
    state: activity.state,
    scheduled_start: activity.scheduledStart,
    started_at: activity.startedAt,
    ended_at: activity.endedAt,
    fan_out_done: activity.fanOutDone ? 1 : 0,
    cursor: activity.cursor,
    progress: JSON.stringify(activity.progress),
    lease_holder: null,
    lease_until: null,
    paused_at: activity.pausedAt,
    created_at: activity.createdAt,
    updated_at: activity.updatedAt,
  };
}

function toActivity(row: ActivityRow): CampaignActivity {
  return {
    appId: row.app_id,
    id: row.id,
    campaignId: row.campaign_id,
    campaignVersion: Number(row.campaign_version),
    triggerKey: row.trigger_key,
    trigger: row.trigger as CampaignActivity['trigger'],
    state: row.state as ActivityState,
    scheduledStart: Number(row.scheduled_start),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    fanOutDone: Number(row.fan_out_done) === 1,
    cursor: row.cursor,
    progress: readJson<FanOutProgress>(row.progress, EMPTY_PROGRESS),
    pausedAt: row.paused_at === null ? null : Number(row.paused_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
