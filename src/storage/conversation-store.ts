import type { Kysely, Selectable } from 'kysely';
import type { Conversation, ConversationStore } from '../ports/conversation-store.js';
import type { Database } from './database.js';
import type { DeliveryTables } from './tables/delivery-tables.js';

export class KyselyConversationStore implements ConversationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(senderKey: string, recipientHash: string): Promise<Conversation | undefined> {
    const row = await this.db
      .selectFrom('conversations')
      .selectAll()
      .where('sender_key', '=', senderKey)
      .where('recipient_hash', '=', recipientHash)
      .executeTakeFirst();
    return row && toConversation(row);
  }

  async recordInbound(input: {
    senderKey: string;
    recipientHash: string;
    appId: string;
    at: number;
    replyToken?: string;
  }): Promise<Conversation | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('conversations')
        .selectAll()
        .where('sender_key', '=', input.senderKey)
        .where('recipient_hash', '=', input.recipientHash)
        .executeTakeFirst();
      const lastInbound = Math.max(before?.last_inbound_at ?? 0, input.at);
      const reply = input.replyToken ? { reply_token: input.replyToken, reply_token_at: input.at } : {};
      await trx
        .insertInto('conversations')
        .values({
          sender_key: input.senderKey,
          recipient_hash: input.recipientHash,
          app_id: input.appId,
          last_inbound_at: lastInbound,
          consent_message_id: null,
          consent_sent_at: null,
          notice_pending: 0,
          reply_token: input.replyToken ?? null,
          reply_token_at: input.replyToken ? input.at : null,
          updated_at: input.at,
        })
        .onConflict((oc) =>
          oc.columns(['sender_key', 'recipient_hash']).doUpdateSet({
            last_inbound_at: lastInbound,
            consent_message_id: null,
            consent_sent_at: null,
            updated_at: input.at,
            ...reply,
          }),
        )
        .execute();
      return before && toConversation(before);
    });
  }

  async claimConsent(input: {
    senderKey: string;
    recipientHash: string;
    appId: string;
    messageId: string;
    at: number;
    resendAfterMs: number;
  }): Promise<boolean> {
    const row = await this.db
      .insertInto('conversations')
      .values({
        sender_key: input.senderKey,
        recipient_hash: input.recipientHash,
        app_id: input.appId,
        last_inbound_at: null,
        consent_message_id: input.messageId,
        consent_sent_at: input.at,
        notice_pending: 0,
        reply_token: null,
        reply_token_at: null,
        updated_at: input.at,
      })
      .onConflict((oc) =>
        oc
          .columns(['sender_key', 'recipient_hash'])
          .doUpdateSet({
            consent_message_id: input.messageId,
            consent_sent_at: input.at,
            updated_at: input.at,
          })
          .where((eb) =>
            eb.or([
              eb('conversations.consent_sent_at', 'is', null),
              eb('conversations.consent_sent_at', '<', input.at - input.resendAfterMs),
            ]),
          ),
      )
      .returning('consent_message_id')
      .executeTakeFirst();
    return row?.consent_message_id === input.messageId;
  }

  async setNoticePending(
    senderKey: string,
    recipientHash: string,
    appId: string,
    pending: boolean,
    at: number,
  ): Promise<void> {
    await this.db
      .insertInto('conversations')
      .values({
        sender_key: senderKey,
        recipient_hash: recipientHash,
        app_id: appId,
        last_inbound_at: null,
        consent_message_id: null,
        consent_sent_at: null,
        notice_pending: pending ? noticeMark(at) : 0,
        reply_token: null,
        reply_token_at: null,
        updated_at: at,
      })
      .onConflict((oc) =>
        oc
          .columns(['sender_key', 'recipient_hash'])
          .doUpdateSet({ notice_pending: pending ? noticeMark(at) : 0, updated_at: at }),
      )
      .execute();
  }

  async clearNotice(senderKey: string, recipientHash: string, owedSince: number): Promise<void> {
    await this.db
      .updateTable('conversations')
      .set({ notice_pending: 0 })
      .where('sender_key', '=', senderKey)
      .where('recipient_hash', '=', recipientHash)
      .where('notice_pending', '=', owedSince)
      .execute();
  }

  async takeReplyToken(
    senderKey: string,
    recipientHash: string,
    now: number,
    maxAgeMs: number,
  ): Promise<string | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('conversations')
        .select(['reply_token', 'reply_token_at'])
        .where('sender_key', '=', senderKey)
        .where('recipient_hash', '=', recipientHash)
        .executeTakeFirst();
      if (!row?.reply_token || row.reply_token_at === null || now - row.reply_token_at > maxAgeMs)
        return undefined;
      const taken = await trx
        .updateTable('conversations')
        .set({ reply_token: null, reply_token_at: null })
        .where('sender_key', '=', senderKey)
        .where('recipient_hash', '=', recipientHash)
        .where('reply_token', '=', row.reply_token)
        .executeTakeFirst();
      return taken.numUpdatedRows > 0n ? row.reply_token : undefined;
    });
  }
}

function toConversation(row: Selectable<DeliveryTables['conversations']>): Conversation {
  return {
    senderKey: row.sender_key,
    recipientHash: row.recipient_hash,
    appId: row.app_id,
    lastInboundAt: row.last_inbound_at,
    consentMessageId: row.consent_message_id,
    consentSentAt: row.consent_sent_at,
    noticeOwedSince: row.notice_pending === 0 ? null : row.notice_pending,
  };
}

/**
 * `notice_pending` holds when the notice became owed (0: none; rows written before migration 0009 hold 1), so that
 * every attempt to send it names it the same way.
 */
function noticeMark(at: number): number {
  return Math.max(2, Math.trunc(at));
}
