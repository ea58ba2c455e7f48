import type { Kysely } from 'kysely';
import type { ChannelEvent } from '../domain/channel-event.js';
import type { InboxEntry, InboxStore } from '../ports/inbox-store.js';
import type { Database, DialectName } from './database.js';

export class KyselyInboxStore implements InboxStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async append(entries: readonly Omit<InboxEntry, 'attempts'>[]): Promise<number> {
    if (entries.length === 0) return 0;
    const result = await this.db
      .insertInto('inbox')
      .values(
        entries.map((e) => ({
          id: e.id,
          app_id: e.appId,
          channel_id: e.channelId,
          sender_key: e.senderKey,
          event_id: e.event.eventId,
          event_type: e.event.type,
          payload: JSON.stringify(e.event),
          received_at: e.receivedAt,
          processed_at: null,
          locked_until: null,
          attempts: 0,
        })),
      )
      .onConflict((oc) => oc.columns(['app_id', 'channel_id', 'event_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }

  async claim(options: { limit: number; now: number; leaseMs: number }): Promise<InboxEntry[]> {
    const rows = await this.db
      .updateTable('inbox')
      .set((eb) => ({ locked_until: options.now + options.leaseMs, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', (qb) => {
        const pending = qb
          .selectFrom('inbox')
          .select('id')
          .where('processed_at', 'is', null)
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', options.now)]))
          .orderBy('id')
          .limit(options.limit);
        // Several workers on PostgreSQL take disjoint batches instead of waiting on (and re-claiming) each other's.
        return this.dialect === 'postgres' ? pending.forUpdate().skipLocked() : pending;
      })
      .returningAll()
      .execute();
    return rows
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((row) => ({
        id: row.id,
        appId: row.app_id,
        channelId: row.channel_id,
        senderKey: row.sender_key,
        event: JSON.parse(row.payload) as ChannelEvent,
        receivedAt: row.received_at,
        attempts: row.attempts,
      }));
  }

  async complete(ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('inbox')
      .set({ processed_at: now, locked_until: null })
      .where('id', 'in', ids)
      .execute();
  }

  async release(ids: readonly string[], retryAt: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('inbox').set({ locked_until: retryAt }).where('id', 'in', ids).execute();
  }

  async backlog(now: number): Promise<{ count: number; oldestAgeMs: number }> {
    const row = await this.db
      .selectFrom('inbox')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('received_at').as('oldest')])
      .where('processed_at', 'is', null)
      .executeTakeFirst();
    const oldest = row?.oldest == null ? now : Number(row.oldest);
    return { count: Number(row?.count ?? 0), oldestAgeMs: Math.max(0, now - oldest) };
  }

  async purge(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('inbox')
      .where('processed_at', 'is not', null)
      .where('received_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
