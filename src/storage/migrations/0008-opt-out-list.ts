import type { HeraldMigration } from './herald-migration.js';

/**
 * The app's opt-out list: the addresses whose owner opted out on a channel type (a STOP keyword, a LINE unfollow, a
 * provider's opt-out), kept whether or not an endpoint has the address, until they opt back in. An endpoint created
 * with a listed address starts opted out. Like the ledger it holds no address, only the keyed recipient hash of
 * the channel type and address; it goes with its app.
 */
export const m0008OptOutList: HeraldMigration = {
  name: '0008-opt-out-list',
  async up(db, { types }) {
    await db.schema
      .createTable('opt_out_list')
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('channel_type', types.text, (c) => c.notNull())
      .addColumn('recipient_hash', types.text, (c) => c.notNull())
      .addColumn('opted_out_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('opt_out_list_pk', ['app_id', 'channel_type', 'recipient_hash'])
      .execute();
  },
};
