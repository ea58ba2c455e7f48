import type { HeraldMigration } from './herald-migration.js';

export const m0005Campaigns: HeraldMigration = {
  name: '0005-campaigns',
  async up(db, { types }) {
    await db.schema
      .createTable('templates')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('id', types.text, (c) => c.notNull())
      .addColumn('version', types.integer, (c) => c.notNull())
      .addColumn('name', types.text, (c) => c.notNull())
      .addColumn('kind', types.text, (c) => c.notNull())
      .addColumn('definition', types.json, (c) => c.notNull())
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('templates_pk', ['app_id', 'id', 'version'])
      .execute();
    await db.schema.createIndex('templates_name_idx').on('templates').columns(['app_id', 'name']).execute();

    await db.schema
      .createTable('campaigns')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('id', types.text, (c) => c.notNull())
      .addColumn('version', types.integer, (c) => c.notNull())
      .addColumn('name', types.text, (c) => c.notNull())
      .addColumn('segment_id', types.text, (c) => c.notNull())
      .addColumn('frequency', types.text, (c) => c.notNull())
      .addColumn('definition', types.json, (c) => c.notNull())
      .addColumn('state', types.text, (c) => c.notNull())
      .addColumn('next_run_at', types.bigint)
      .addColumn('runs', types.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('template_ids', types.text, (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('campaigns_pk', ['app_id', 'id'])
      .execute();
    await db.schema.createIndex('campaigns_due_idx').on('campaigns').columns(['next_run_at']).execute();
    await db.schema
      .createIndex('campaigns_frequency_idx')
      .on('campaigns')
      .columns(['app_id', 'frequency'])
      .execute();

    await db.schema
      .createTable('campaign_activities')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('campaign_id', types.text, (c) => c.notNull())
      .addColumn('campaign_version', types.integer, (c) => c.notNull())
      .addColumn('trigger_key', types.text, (c) => c.notNull())
      .addColumn('trigger', types.text, (c) => c.notNull())
      .addColumn('state', types.text, (c) => c.notNull())
      .addColumn('scheduled_start', types.bigint, (c) => c.notNull())
      .addColumn('started_at', types.bigint)
      .addColumn('ended_at', types.bigint)
      .addColumn('fan_out_done', types.bool, (c) => c.notNull().defaultTo(0))
      .addColumn('cursor', types.text)
      .addColumn('progress', types.json, (c) => c.notNull())
      .addColumn('lease_holder', types.text)
      .addColumn('lease_until', types.bigint)
      .addColumn('paused_at', types.bigint)
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .execute();
    // A scheduled run (run:<n>) exists once, however many workers saw it due.
    await db.schema
      .createIndex('campaign_activities_trigger_uq')
      .on('campaign_activities')
      .columns(['campaign_id', 'trigger_key'])
      .unique()
      .execute();
    await db.schema
      .createIndex('campaign_activities_campaign_idx')
      .on('campaign_activities')
      .columns(['app_id', 'campaign_id', 'id'])
      .execute();
    await db.schema
      .createIndex('campaign_activities_state_idx')
      .on('campaign_activities')
      .columns(['state', 'fan_out_done', 'id'])
      .execute();

    // What a campaign with daily or total limits sent each endpoint. Its own narrow table rather than an index on
    // the ledger: an index on every message cost a quarter of the fan-out rate, for the few campaigns with limits.
    await db.schema
      .createTable('campaign_endpoint_sends')
      .addColumn('campaign_id', types.text, (c) => c.notNull())
      .addColumn('endpoint_id', types.text, (c) => c.notNull())
      .addColumn('activity_id', types.text, (c) => c.notNull())
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('campaign_endpoint_sends_pk', ['campaign_id', 'endpoint_id', 'activity_id'])
      .execute();
  },
};
