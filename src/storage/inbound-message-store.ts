import type { Kysely } from 'kysely';
import type { InboundContent } from '../domain/channel-event.js';
import type { ChangeEvents } from '../ports/event-outbox.js';
import type { InboundMessage, InboundMessageStore } from '../ports/inbound-message-store.js';
import type { Database } from './database.js';
import { insertDeliveries } from './event-outbox.js';

export class KyselyInboundMessageStore implements InboundMessageStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(message: InboundMessage, events?: ChangeEvents<InboundMessage>): Promise<boolean> {
    if (!events) return this.insert(this.db, message);
    return this.db.transaction().execute(async (trx) => {
      const stored = await this.insert(trx, message);
      if (stored) await insertDeliveries(trx, events(message), message.receivedAt);
      return stored;
    });
  }

  private async insert(db: Kysely<Database>, message: InboundMessage): Promise<boolean> {
    const result = await db
      .insertInto('inbound_messages')
      .values({
        id: message.id,
        app_id: message.appId,
        channel_id: message.channelId,
        sender_key: message.senderKey,
        recipient_hash: message.recipientHash,
        endpoint_id: message.endpointId,
        provider_message_id: message.providerMessageId,
        content_kind: message.content?.kind ?? 'unsupported',
        content: message.content ? JSON.stringify(message.content) : null,
        received_at: message.receivedAt,
      })
      .onConflict((oc) => oc.columns(['sender_key', 'provider_message_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async list(
    appId: string,
    filter: { recipientHash?: string; beforeId?: string; limit: number },
  ): Promise<InboundMessage[]> {
    let query = this.db
      .selectFrom('inbound_messages')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('id', 'desc')
      .limit(filter.limit);
    if (filter.recipientHash) query = query.where('recipient_hash', '=', filter.recipientHash);
    if (filter.beforeId) query = query.where('id', '<', filter.beforeId);
    return (await query.execute()).map((row) => ({
      id: row.id,
      appId: row.app_id,
      channelId: row.channel_id,
      senderKey: row.sender_key,
      recipientHash: row.recipient_hash,
      endpointId: row.endpoint_id,
      providerMessageId: row.provider_message_id,
      content: row.content === null ? null : (JSON.parse(row.content) as InboundContent),
      receivedAt: row.received_at,
    }));
  }

  async purge(before: number, limit: number): Promise<number> {
    const ids = await this.db
      .selectFrom('inbound_messages')
      .select('id')
      .where('received_at', '<', before)
      .limit(limit)
      .execute();
    if (ids.length === 0) return 0;
    const result = await this.db
      .deleteFrom('inbound_messages')
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
