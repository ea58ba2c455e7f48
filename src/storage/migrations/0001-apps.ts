import type { HeraldMigration } from './herald-migration.js';

export const m0001Apps: HeraldMigration = {
  name: '0001-apps',
  async up(db, { types }) {
    await db.schema
      .createTable('apps')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('name', types.text, (c) => c.notNull())
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('name', types.text, (c) => c.notNull())
      .addColumn('secret_hash', types.text, (c) => c.notNull())
      .addColumn('hint', types.text, (c) => c.notNull())
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('api_keys_app_idx').on('api_keys').columns(['app_id', 'id']).execute();
  },
};
