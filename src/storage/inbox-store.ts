import { hash } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import type { ChannelEvent } from '../domain/channel-event.js';
import type { InboxEntry, InboxStore } from '../ports/inbox-store.js';
import { BulkInsert } from './bulk-insert.js';
import type { Database, DialectName } from './database.js';
import { preparedStatement } from './postgres/copying-pool.js';

// Every verified webhook event is written here before the provider hears 200: a raw statement, not the query
// builder. `on conflict do nothing` is the deduplication on (app, channel, event id) (and on id); `returning` names
// the events that were new.

// PostgreSQL: one text whatever the number of rows, the rows as one array per column, prepared once per
// connection. A multi-row VALUES sent a new text per batch size (parsed and planned each time) with ten
// parameters a row, and split a batch into power-of-two statements, each its own commit.
const INBOX_APPEND_PG = preparedStatement(
  'herald_inbox_append',
  `insert into "inbox" ("id", "app_id", "channel_id", "sender_key", "event_id", "event_type", "payload",
     "received_at", "locked_until", "attempts")
   select "u".*, $9::bigint, $10::integer
   from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[]) as "u"
   on conflict do nothing returning "id"`,
);

// SQLite: its statement cache keeps one multi-row VALUES per power-of-two row count.
const INBOX_ROWS = new BulkInsert(
  'inbox',
  [
    'id',
    'app_id',
    'channel_id',
    'sender_key',
    'event_id',
    'event_type',
    'payload',
    'received_at',
    'locked_until',
    'attempts',
  ],
  { onConflict: 'nothing', returning: 'id' },
);

/**
 * What the inbox keeps of a provider's event id: its SHA-256, 128 bits in base64url. Deduplication needs only
 * equality, and an id can carry an address: a WhatsApp status's id is its message's wamid, base64 around the
 * recipient's phone number, and processed rows stay for days. Unkeyed, because those ids also carry random parts
 * that no one can enumerate.
 *
 * @example
 * inboxEventKey('wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTND:delivered'); // 'q0k...' (22 characters)
 */
export function inboxEventKey(eventId: string): string {
  // One-shot hash(): a third of createHash's cost, on every stored event.
  return hash('sha256', eventId, 'base64url').slice(0, 22);
}

export class KyselyInboxStore implements InboxStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async append(
    entries: readonly Omit<InboxEntry, 'attempts'>[],
    options: { lockedUntil?: number } = {},
  ): Promise<string[]> {
    if (entries.length === 0) return [];
    const lockedUntil = options.lockedUntil ?? null;
    const attempts = options.lockedUntil === undefined ? 0 : 1;
    if (this.dialect === 'postgres') return this.appendPostgres(entries, lockedUntil, attempts);
    const rows = entries.map((e) => [
      e.id,
      e.appId,
      e.channelId,
      e.senderKey,
      inboxEventKey(e.event.eventId),
      e.event.type,
      JSON.stringify(e.event),
      e.receivedAt,
      lockedUntil,
      attempts,
    ]);
    // One transaction even when the rows take several statements: one commit per group of webhooks.
    const stored =
      rows.length <= INBOX_ROWS.rowsPerStatement
        ? await INBOX_ROWS.run(this.db, this.dialect, rows)
        : await this.db.transaction().execute((trx) => INBOX_ROWS.run(trx, this.dialect, rows));
    return stored.map((row) => String(row.id));
  }

  private async appendPostgres(
    entries: readonly Omit<InboxEntry, 'attempts'>[],
    lockedUntil: number | null,
    attempts: number,
  ): Promise<string[]> {
    const n = entries.length;
    const ids = new Array<string>(n);
    const appIds = new Array<string>(n);
    const channelIds = new Array<string>(n);
    const senderKeys = new Array<string>(n);
    const eventIds = new Array<string>(n);
    const types = new Array<string>(n);
    const payloads = new Array<string>(n);
    const receivedAt = new Array<number>(n);
    entries.forEach((e, i) => {
      ids[i] = e.id;
      appIds[i] = e.appId;
      channelIds[i] = e.channelId;
      senderKeys[i] = e.senderKey;
      eventIds[i] = inboxEventKey(e.event.eventId);
      types[i] = e.event.type;
      payloads[i] = JSON.stringify(e.event);
      receivedAt[i] = e.receivedAt;
    });
    const result = await this.db.executeQuery<{ id: string }>(
      CompiledQuery.raw(INBOX_APPEND_PG, [
        ids,
        appIds,
        channelIds,
        senderKeys,
        eventIds,
        types,
        payloads,
        receivedAt,
        lockedUntil,
        attempts,
      ]),
    );
    return result.rows.map((row) => row.id);
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

  async complete(
    ids: readonly string[],
    now: number,
    options: { keepPayload?: boolean } = {},
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('inbox')
      .set(
        options.keepPayload
          ? { processed_at: now, locked_until: null }
          : { processed_at: now, locked_until: null, payload: '' },
      )
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
