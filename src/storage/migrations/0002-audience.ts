import { sql } from 'kysely';
import type { HeraldMigration } from './herald-migration.js';

export const m0002Audience: HeraldMigration = {
  name: '0002-audience',
  async up(db, { dialect, types }) {
    // Endpoints are read and paged by (app_id, id): on SQLite the primary key is the table itself.
    const withoutRowid = dialect === 'sqlite' ? sql`without rowid` : sql``;

    await db.schema
      .createTable('endpoints')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('id', types.text, (c) => c.notNull())
      .addColumn('channel_type', types.text, (c) => c.notNull())
      .addColumn('address', types.text, (c) => c.notNull())
      .addColumn('active', types.bool, (c) => c.notNull())
      .addColumn('opt_out', types.bool, (c) => c.notNull())
      .addColumn('effective_date', types.text)
      .addColumn('request_id', types.text)
      .addColumn('user_id', types.text)
      .addColumn('country', types.text)
      .addColumn('city', types.text)
      .addColumn('region', types.text)
      .addColumn('postal_code', types.text)
      .addColumn('latitude', types.double)
      .addColumn('longitude', types.double)
      .addColumn('locale', types.text)
      .addColumn('timezone', types.text)
      .addColumn('platform', types.text)
      .addColumn('platform_version', types.text)
      .addColumn('make', types.text)
      .addColumn('model', types.text)
      .addColumn('model_version', types.text)
      .addColumn('app_version', types.text)
      .addColumn('attributes', types.json, (c) => c.notNull())
      .addColumn('metrics', types.json, (c) => c.notNull())
      .addColumn('user_attributes', types.json, (c) => c.notNull())
      .addColumn('attribute_times', types.json)
      .addColumn('user_attribute_times', types.json)
      .addColumn('last_active_at', types.bigint)
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('endpoints_pk', ['app_id', 'id'])
      .modifyEnd(withoutRowid)
      .execute();
    // Address lookups (inbound messages, takeover, list filters) with or without the channel type.
    await db.schema
      .createIndex('endpoints_address_idx')
      .on('endpoints')
      .columns(['app_id', 'address', 'channel_type'])
      .execute();
    await db.schema
      .createIndex('endpoints_user_idx')
      .on('endpoints')
      .columns(['app_id', 'user_id'])
      .execute();
    if (dialect === 'sqlite') {
      // Without statistics SQLite guesses that `app_id = ?` selects as few rows as `app_id = ? and address = ?`
      // and then prefers the primary key: every lookup by address scanned the whole app. These figures (an app of
      // a million endpoints; an address or a user shared by a couple) are SQLite's documented way to steer the
      // planner; a later ANALYZE replaces them with measured ones.
      await sql`analyze endpoints`.execute(db);
      await sql`delete from sqlite_stat1 where tbl = 'endpoints'`.execute(db);
      await sql`insert into sqlite_stat1 (tbl, idx, stat) values
        ('endpoints', 'sqlite_autoindex_endpoints_1', '1000000 1000000 1'),
        ('endpoints', 'endpoints_address_idx', '1000000 1000000 2 1'),
        ('endpoints', 'endpoints_user_idx', '1000000 1000000 3')`.execute(db);
      await sql`analyze sqlite_schema`.execute(db);
    }

    await db.schema
      .createTable('endpoint_attribute_keys')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('kind', types.text, (c) => c.notNull())
      .addColumn('name', types.text, (c) => c.notNull())
      .addPrimaryKeyConstraint('endpoint_attribute_keys_pk', ['app_id', 'kind', 'name'])
      .execute();

    await db.schema
      .createTable('segments')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('id', types.text, (c) => c.notNull())
      .addColumn('version', types.integer, (c) => c.notNull())
      .addColumn('name', types.text, (c) => c.notNull())
      .addColumn('segment_type', types.text, (c) => c.notNull())
      .addColumn('definition', types.json, (c) => c.notNull())
      .addColumn('import_id', types.text)
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('segments_pk', ['app_id', 'id', 'version'])
      .execute();

    await db.schema
      .createTable('segment_members')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('segment_id', types.text, (c) => c.notNull())
      .addColumn('endpoint_id', types.text, (c) => c.notNull())
      .addPrimaryKeyConstraint('segment_members_pk', ['app_id', 'segment_id', 'endpoint_id'])
      .modifyEnd(withoutRowid)
      .execute();
    // Deleting an endpoint removes its memberships.
    await db.schema
      .createIndex('segment_members_endpoint_idx')
      .on('segment_members')
      .columns(['app_id', 'endpoint_id'])
      .execute();

    await db.schema
      .createTable('imports')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('id', types.text, (c) => c.notNull())
      .addColumn('format', types.text, (c) => c.notNull())
      .addColumn('status', types.text, (c) => c.notNull())
      .addColumn('segment_id', types.text)
      .addColumn('segment_name', types.text)
      .addColumn('size_bytes', types.bigint, (c) => c.notNull())
      .addColumn('bytes_read', types.bigint, (c) => c.notNull())
      .addColumn('rows_read', types.bigint, (c) => c.notNull())
      .addColumn('processed', types.bigint, (c) => c.notNull())
      .addColumn('failed', types.bigint, (c) => c.notNull())
      .addColumn('errors', types.json, (c) => c.notNull())
      .addColumn('failure_reason', types.text)
      .addColumn('lease_until', types.bigint)
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .addColumn('completed_at', types.bigint)
      .addPrimaryKeyConstraint('imports_pk', ['app_id', 'id'])
      .execute();
    await db.schema.createIndex('imports_status_idx').on('imports').columns(['status', 'id']).execute();
  },
};
