import type { Kysely, Selectable } from 'kysely';
import type { ChannelType } from '../domain/channel-type.js';
import { canTransition, type MessageStatus } from '../domain/message-status.js';
import type { OutboxWriter } from '../ports/event-outbox.js';
import type {
  LedgerHistoryEntry,
  LedgerMessage,
  MessageLedger,
  ProviderStatusUpdate,
} from '../ports/message-ledger.js';
import type { ProviderIdCodec } from '../ports/provider-id-codec.js';
import type { StatusChange } from '../ports/send-queue.js';
import type { Database, DialectName } from './database.js';
import { insertDeliveries } from './event-outbox.js';
import { insertHistory } from './message-history.js';
import type { DeliveryTables } from './tables/delivery-tables.js';
import { chunk } from './values-cte.js';

const ORDER: Readonly<Record<ProviderStatusUpdate['status'], number>> = {
  sent: 0,
  delivered: 1,
  read: 2,
  failed: 3,
};

type Row = Selectable<DeliveryTables['messages']>;

/**
 * `provider_ref` of a row whose provider id carries no address and is kept as it is in `provider_message_id`. NULL
 * there means a row from before migration 0007, not sealed yet.
 */
export const PROVIDER_ID_AS_IS = '';

export class KyselyMessageLedger implements MessageLedger {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly providerIds: ProviderIdCodec,
  ) {}

  async findByIdempotencyKey(
    appId: string,
    key: string,
  ): Promise<{ messageId: string; status: MessageStatus; requestHash: string | null } | undefined> {
    const row = await this.db
      .selectFrom('messages')
      .select(['id', 'status', 'request_hash'])
      .where('app_id', '=', appId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row
      ? { messageId: row.id, status: row.status as MessageStatus, requestHash: row.request_hash }
      : undefined;
  }

  async get(
    appId: string,
    messageId: string,
  ): Promise<(LedgerMessage & { history: LedgerHistoryEntry[] }) | undefined> {
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', messageId)
      .executeTakeFirst();
    if (!row) return undefined;
    const history = await this.db
      .selectFrom('message_events')
      .select(['status', 'at', 'error_code'])
      .where('message_id', '=', messageId)
      .orderBy('seq')
      .execute();
    const stored = history.map((h) => ({
      status: h.status as MessageStatus,
      at: Number(h.at),
      errorCode: h.error_code,
    }));
    // A message created `queued` has no row for it (see the send queue's enqueue); one held from the start has.
    const createdAt = Number(row.created_at);
    const heldAtOnce = stored[0]?.status === 'awaiting_window' && stored[0].at === createdAt;
    return {
      ...this.toLedgerMessage(row),
      history: heldAtOnce ? stored : [{ status: 'queued', at: createdAt, errorCode: null }, ...stored],
    };
  }

  async list(
    appId: string,
    filter: { status?: MessageStatus; campaignId?: string; since?: number; beforeId?: string; limit: number },
  ): Promise<LedgerMessage[]> {
    let query = this.db
      .selectFrom('messages')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('id', 'desc')
      .limit(filter.limit);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.campaignId) query = query.where('campaign_id', '=', filter.campaignId);
    if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
    if (filter.beforeId) query = query.where('id', '<', filter.beforeId);
    return (await query.execute()).map((row) => this.toLedgerMessage(row));
  }

  async applyProviderStatuses(
    updates: readonly ProviderStatusUpdate[],
    outbox?: OutboxWriter,
  ): Promise<{ changes: StatusChange[]; unmatched: number[] }> {
    if (updates.length === 0) return { changes: [], unmatched: [] };
    return this.db.transaction().execute(async (trx) => {
      const byId = new Map<string, Row>();
      const byProvider = new Map<string, Row>();
      const ids = [...new Set(updates.flatMap((u) => (u.messageId ? [u.messageId] : [])))].sort();
      // On PostgreSQL the rows are locked as they are read, in id order (see lockMessageRows): the updates below
      // take them per kind of transition, an order the sender's settlement of the same messages does not share.
      for (const part of chunk(ids, 500)) {
        const query = trx.selectFrom('messages').selectAll().where('id', 'in', part);
        const rows = await (this.dialect === 'postgres' ? query.orderBy('id').forUpdate() : query).execute();
        for (const row of rows) byId.set(row.id, row);
      }
      // Rows are found by the id's digest, or by the id itself where it is kept as it is (ids that carry no address,
      // rows from before migration 0007 not sealed yet). The provider's kind is not known here: both are looked up.
      const digests = updates.map((u) =>
        u.messageId && byId.has(u.messageId) ? '' : this.providerIds.digest(u.senderKey, u.providerMessageId),
      );
      const bySender = new Map<string, Set<string>>();
      updates.forEach((u, index) => {
        const digest = digests[index];
        if (!digest) return;
        const keys = bySender.get(u.senderKey) ?? new Set<string>();
        keys.add(digest).add(u.providerMessageId);
        bySender.set(u.senderKey, keys);
      });
      for (const [senderKey, keys] of bySender) {
        for (const part of chunk([...keys], 500)) {
          const rows = await trx
            .selectFrom('messages')
            .selectAll()
            .where('sender_key', '=', senderKey)
            .where('provider_message_id', 'in', part)
            .execute();
          for (const row of rows) byProvider.set(`${senderKey}\u0000${row.provider_message_id}`, row);
        }
      }

      // Group the updates per message and apply them in lifecycle order, so a batch holding both `read` and
      // `delivered` records both, whatever order the provider sent them in.
      const unmatched: number[] = [];
      const perMessage = new Map<string, { row: Row; updates: ProviderStatusUpdate[] }>();
      updates.forEach((u, index) => {
        const byKey = (key: string | undefined) =>
          key ? byProvider.get(`${u.senderKey}\u0000${key}`) : undefined;
        const legacy = byKey(u.providerMessageId);
        const row =
          (u.messageId ? byId.get(u.messageId) : undefined) ??
          byKey(digests[index]) ??
          (legacy && (legacy.provider_ref === null || legacy.provider_ref === PROVIDER_ID_AS_IS)
            ? legacy
            : undefined);
        if (!row || row.sender_key !== u.senderKey) {
          unmatched.push(index);
          return;
        }
        const entry = perMessage.get(row.id) ?? { row, updates: [] };
        entry.updates.push(u);
        perMessage.set(row.id, entry);
      });

      const changes: StatusChange[] = [];
      const history: { message_id: string; at: number; status: string; error_code: string | null }[] = [];
      // Most of a batch shares one transition (sent -> delivered, delivered -> read): those go in one UPDATE per
      // (from, to) pair; a message that also needs its provider id or an error written gets its own.
      const grouped = new Map<
        string,
        {
          from: MessageStatus;
          to: MessageStatus;
          at: number;
          items: { row: Row; steps: ProviderStatusUpdate[] }[];
        }
      >();
      const applied: { row: Row; steps: ProviderStatusUpdate[] }[] = [];
      for (const { row, updates: list } of perMessage.values()) {
        list.sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.at - b.at);
        let status = row.status as MessageStatus;
        let lastError: ProviderStatusUpdate['error'];
        const steps: ProviderStatusUpdate[] = [];
        // Providers stamp statuses in whole seconds (WhatsApp, SNS): a `sent` can carry a time before the moment
        // Herald handed the message over. The history never goes back in time: each step is at least the last.
        let floor = Number(row.updated_at);
        for (const u of list) {
          if (!canTransition(status, u.status)) continue;
          status = u.status;
          floor = Math.max(floor, u.at);
          steps.push(u.at === floor ? u : { ...u, at: floor });
          if (u.error) lastError = u.error;
        }
        if (steps.length === 0) continue;
        const last = steps.at(-1)!;
        if (row.provider_message_id !== null && !(status === 'failed' && lastError)) {
          const key = `${row.status}>${status}`;
          const group = grouped.get(key) ?? {
            from: row.status as MessageStatus,
            to: status,
            at: 0,
            items: [],
          };
          group.at = Math.max(group.at, last.at);
          group.items.push({ row, steps });
          grouped.set(key, group);
          continue;
        }
        const result = await trx
          .updateTable('messages')
          .set({
            status,
            updated_at: last.at,
            ...(row.provider_message_id === null
              ? {
                  provider_message_id: this.providerIds.digest(row.sender_key, last.providerMessageId),
                  provider_ref: this.providerIds.seal(last.providerMessageId),
                }
              : {}),
            ...(status === 'failed' && lastError
              ? { error_code: lastError.code, error_message: lastError.message.slice(0, 1000) }
              : {}),
          })
          .where('id', '=', row.id)
          // Optimistic: if another worker moved the message meanwhile, this update is retried later.
          .where('status', '=', row.status)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) {
          for (const u of list) unmatched.push(updates.indexOf(u));
          continue;
        }
        applied.push({ row, steps });
      }
      for (const group of grouped.values()) {
        for (const part of chunk(group.items, 500)) {
          const moved = await trx
            .updateTable('messages')
            .set({ status: group.to, updated_at: group.at })
            .where(
              'id',
              'in',
              part.map((i) => i.row.id),
            )
            .where('status', '=', group.from)
            .returning('id')
            .execute();
          const movedIds = new Set(moved.map((m) => m.id));
          for (const item of part) {
            if (movedIds.has(item.row.id)) applied.push(item);
            else
              for (const u of perMessage.get(item.row.id)?.updates ?? []) unmatched.push(updates.indexOf(u));
          }
        }
      }
      for (const { row, steps } of applied) {
        for (const step of steps) {
          history.push({
            message_id: row.id,
            at: step.at,
            status: step.status,
            error_code: step.error?.code ?? null,
          });
          changes.push({
            messageId: row.id,
            appId: row.app_id,
            channelId: row.channel_id,
            status: step.status,
            at: step.at,
            ...(step.error ? { error: step.error } : {}),
            ...(row.campaign_id ? { campaignId: row.campaign_id } : {}),
            ...(row.endpoint_id ? { endpointId: row.endpoint_id } : {}),
          });
        }
      }
      await insertHistory(trx, this.dialect, history);
      // A message with a final delivery status no longer needs its parked job, nor the address in it.
      const finished = [...new Set(changes.filter((c) => c.status !== 'sent').map((c) => c.messageId))];
      for (const part of chunk(finished, 500)) {
        await trx.deleteFrom('jobs').where('message_id', 'in', part).where('state', '=', 'sent').execute();
      }
      if (outbox && changes.length > 0)
        await insertDeliveries(trx, outbox(changes), Math.max(...changes.map((c) => c.at)));
      return { changes, unmatched: unmatched.sort((a, b) => a - b) };
    });
  }

  async sealProviderIds(limit: number): Promise<number> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['id', 'sender_key', 'provider_message_id'])
      .where('provider_ref', 'is', null)
      .where('provider_message_id', 'is not', null)
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    await this.db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const id = row.provider_message_id as string;
        await trx
          .updateTable('messages')
          .set({
            provider_message_id: this.providerIds.digest(row.sender_key, id),
            provider_ref: this.providerIds.seal(id),
          })
          .where('id', '=', row.id)
          .where('provider_ref', 'is', null)
          .where('provider_message_id', '=', id)
          .execute();
      }
    });
    return rows.length;
  }

  async purge(before: number, limit: number): Promise<number> {
    const ids = await this.db
      .selectFrom('messages')
      .select('id')
      .where('created_at', '<', before)
      .where('status', 'not in', ['queued', 'awaiting_window'])
      .limit(limit)
      .execute();
    if (ids.length === 0) return 0;
    const result = await this.db
      .deleteFrom('messages')
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private toLedgerMessage(row: Row): LedgerMessage {
    return {
      id: row.id,
      appId: row.app_id,
      channelId: row.channel_id,
      channelType: row.channel_type as ChannelType,
      senderKey: row.sender_key,
      recipientHash: row.recipient_hash,
      endpointId: row.endpoint_id,
      source: row.source,
      contentKind: row.content_kind,
      templateName: row.template_name,
      status: row.status as MessageStatus,
      providerMessageId:
        row.provider_ref === null || row.provider_ref === PROVIDER_ID_AS_IS
          ? row.provider_message_id
          : (this.providerIds.open(row.provider_ref) ?? null),
      error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
      attempts: row.attempts,
      campaignId: row.campaign_id,
      activityId: row.activity_id,
      treatmentId: row.treatment_id,
      holdUntil: row.hold_until,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
