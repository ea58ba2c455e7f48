import { sql } from 'kysely';
import type { HeraldMigration } from './herald-migration.js';

/**
 * The ledger stops keeping provider message ids that carry the recipient's address as they are: a WhatsApp id is
 * base64 around the phone number. For those, `provider_message_id` now holds the id's keyed digest (what status
 * webhooks are matched by, under the same index) and `provider_ref` the id sealed with the secret key, for showing
 * it; other ids stay as they are, with `provider_ref` ''. The rows written before have no `provider_ref`; the
 * maintenance loop seals them (it has the key, a migration does not), found through the partial index below, and
 * status webhooks match them by the id meanwhile.
 */
export const m0007SealedProviderIds: HeraldMigration = {
  name: '0007-sealed-provider-ids',
  async up(db, { types }) {
    await db.schema.alterTable('messages').addColumn('provider_ref', types.text).execute();
    await db.schema
      .createIndex('messages_provider_unsealed_idx')
      .on('messages')
      .column('id')
      .where(sql.ref('provider_ref'), 'is', null)
      .where(sql.ref('provider_message_id'), 'is not', null)
      .execute();
  },
};
