import type { HeraldMigration } from './herald-migration.js';

export const m0003Channels: HeraldMigration = {
  name: '0003-channels',
  async up(db, { types }) {
    await db.schema
      .createTable('channels')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('id', types.text, (c) => c.notNull())
      .addColumn('provider', types.text, (c) => c.notNull())
      .addColumn('channel_type', types.text, (c) => c.notNull())
      .addColumn('sender', types.text, (c) => c.notNull())
      .addColumn('options', types.text, (c) => c.notNull())
      .addColumn('messages_per_second', types.double, (c) => c.notNull())
      .addColumn('sender_key', types.text, (c) => c.notNull())
      .addColumn('sealed_credentials', types.text, (c) => c.notNull())
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('channels_pk', ['app_id', 'id'])
      .execute();
    await db.schema.createIndex('channels_sender_idx').on('channels').column('sender_key').execute();
  },
};
