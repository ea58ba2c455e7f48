import { sql } from 'kysely';
import type { HeraldMigration } from './herald-migration.js';

export const m0004Delivery: HeraldMigration = {
  name: '0004-delivery',
  async up(db, { dialect, types }) {
    await db.schema
      .createTable('messages')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('channel_id', types.text, (c) => c.notNull())
      .addColumn('channel_type', types.text, (c) => c.notNull())
      .addColumn('sender_key', types.text, (c) => c.notNull())
      .addColumn('recipient_hash', types.text, (c) => c.notNull())
      .addColumn('endpoint_id', types.text)
      .addColumn('source', types.text, (c) => c.notNull())
      .addColumn('content_kind', types.text, (c) => c.notNull())
      .addColumn('template_name', types.text)
      .addColumn('status', types.text, (c) => c.notNull())
      .addColumn('provider_message_id', types.text)
      .addColumn('error_code', types.text)
      .addColumn('error_message', types.text)
      .addColumn('attempts', types.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('campaign_id', types.text)
      .addColumn('activity_id', types.text)
      .addColumn('treatment_id', types.text)
      .addColumn('idempotency_key', types.text)
      .addColumn('request_hash', types.text)
      .addColumn('hold_until', types.bigint)
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('messages_app_idx').on('messages').columns(['app_id', 'id']).execute();
    await db.schema
      .createIndex('messages_app_status_idx')
      .on('messages')
      .columns(['app_id', 'status', 'id'])
      .execute();
    await db.schema
      .createIndex('messages_campaign_idx')
      .on('messages')
      .columns(['campaign_id', 'activity_id', 'status'])
      .execute();
    // A campaign run messages an endpoint once, however often its fan-out is resumed.
    await db.schema
      .createIndex('messages_activity_endpoint_uq')
      .on('messages')
      .columns(['activity_id', 'endpoint_id'])
      .unique()
      .execute();
    await db.schema
      .createIndex('messages_provider_idx')
      .on('messages')
      .columns(['sender_key', 'provider_message_id'])
      .where('provider_message_id', 'is not', null)
      .execute();
    await db.schema
      .createIndex('messages_idempotency_uq')
      .on('messages')
      .columns(['app_id', 'idempotency_key'])
      .unique()
      .where('idempotency_key', 'is not', null)
      .execute();
    await db.schema
      .createIndex('messages_hold_idx')
      .on('messages')
      .columns(['hold_until'])
      .where('hold_until', 'is not', null)
      .execute();
    await db.schema.createIndex('messages_created_idx').on('messages').columns(['created_at']).execute();

    await db.schema
      .createTable('message_events')
      // Insertion order: provider timestamps (whole seconds, sometimes out of order) cannot order the history.
      .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('message_id', types.text, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('at', types.bigint, (c) => c.notNull())
      .addColumn('status', types.text, (c) => c.notNull())
      .addColumn('error_code', types.text)
      .execute();
    await db.schema
      .createIndex('message_events_message_idx')
      .on('message_events')
      .columns(['message_id', 'at'])
      .execute();

    await db.schema
      .createTable('jobs')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('queue', types.text, (c) => c.notNull())
      .addColumn('partition_key', types.text, (c) => c.notNull())
      .addColumn('state', types.text, (c) => c.notNull())
      // Deleting an app deletes its messages, and with them their jobs (and the addresses they hold).
      .addColumn('message_id', types.text, (c) => c.references('messages.id').onDelete('cascade'))
      .addColumn('recipient_hash', types.text)
      .addColumn('payload', types.text, (c) => c.notNull())
      .addColumn('run_at', types.bigint, (c) => c.notNull())
      .addColumn('locked_until', types.bigint)
      .addColumn('locked_by', types.text)
      .addColumn('attempts', types.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('unique_key', types.text)
      // The provider batch (LINE multicast, custom channel call) a send was first made in: after a crash the same
      // set goes out together again, so an idempotency key derived from it makes the resend a no-op.
      .addColumn('batch_key', types.text)
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('jobs_batch_idx')
      .on('jobs')
      .columns(['partition_key', 'batch_key'])
      .where('batch_key', 'is not', null)
      .execute();
    await db.schema
      .createIndex('jobs_claim_idx')
      .on('jobs')
      .columns(['queue', 'partition_key', 'state', 'run_at', 'id'])
      .execute();
    await db.schema
      .createIndex('jobs_unique_uq')
      .on('jobs')
      .column('unique_key')
      .unique()
      .where('unique_key', 'is not', null)
      .execute();
    await db.schema.createIndex('jobs_message_idx').on('jobs').column('message_id').execute();
    await db.schema
      .createIndex('jobs_held_idx')
      .on('jobs')
      .columns(['partition_key', 'recipient_hash'])
      .where(sql.ref('state'), '=', 'held')
      .execute();

    await db.schema
      .createTable('sender_leases')
      .addColumn('sender_key', types.text, (c) => c.primaryKey())
      .addColumn('holder', types.text, (c) => c.notNull())
      .addColumn('expires_at', types.bigint, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('conversations')
      .addColumn('sender_key', types.text, (c) => c.notNull())
      .addColumn('recipient_hash', types.text, (c) => c.notNull())
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('last_inbound_at', types.bigint)
      .addColumn('consent_message_id', types.text)
      .addColumn('consent_sent_at', types.bigint)
      .addColumn('notice_pending', types.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('reply_token', types.text)
      .addColumn('reply_token_at', types.bigint)
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('conversations_pk', ['sender_key', 'recipient_hash'])
      .execute();

    await db.schema
      .createTable('inbound_messages')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('channel_id', types.text, (c) => c.notNull())
      .addColumn('sender_key', types.text, (c) => c.notNull())
      .addColumn('recipient_hash', types.text, (c) => c.notNull())
      .addColumn('endpoint_id', types.text)
      .addColumn('provider_message_id', types.text, (c) => c.notNull())
      .addColumn('content_kind', types.text, (c) => c.notNull())
      .addColumn('content', types.text)
      .addColumn('received_at', types.bigint, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('inbound_provider_uq')
      .on('inbound_messages')
      .columns(['sender_key', 'provider_message_id'])
      .unique()
      .execute();
    await db.schema.createIndex('inbound_app_idx').on('inbound_messages').columns(['app_id', 'id']).execute();
    await db.schema
      .createIndex('inbound_received_idx')
      .on('inbound_messages')
      .columns(['received_at'])
      .execute();

    await db.schema
      .createTable('delivery_settings')
      .addColumn('app_id', types.text, (c) => c.primaryKey().references('apps.id').onDelete('cascade'))
      .addColumn('settings', types.text, (c) => c.notNull())
      .addColumn('updated_at', types.bigint, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('subscriptions')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('url', types.text, (c) => c.notNull())
      .addColumn('events', types.text, (c) => c.notNull())
      .addColumn('sealed_secret', types.text, (c) => c.notNull())
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('subscriptions_app_idx')
      .on('subscriptions')
      .columns(['app_id', 'id'])
      .execute();

    await db.schema
      .createTable('inbox')
      .addColumn('id', types.text, (c) => c.primaryKey())
      .addColumn('app_id', types.text, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('channel_id', types.text, (c) => c.notNull())
      .addColumn('sender_key', types.text, (c) => c.notNull())
      .addColumn('event_id', types.text, (c) => c.notNull())
      .addColumn('event_type', types.text, (c) => c.notNull())
      .addColumn('payload', types.text, (c) => c.notNull())
      .addColumn('received_at', types.bigint, (c) => c.notNull())
      .addColumn('processed_at', types.bigint)
      .addColumn('locked_until', types.bigint)
      .addColumn('attempts', types.integer, (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('inbox_event_uq')
      .on('inbox')
      .columns(['app_id', 'channel_id', 'event_id'])
      .unique()
      .execute();
    await db.schema.createIndex('inbox_pending_idx').on('inbox').columns(['processed_at', 'id']).execute();
  },
};
