import { type Kysely, sql } from 'kysely';
import type { ChannelType } from '../domain/channel-type.js';
import type { OptOutListCount } from '../ports/endpoint-store.js';
import type { AudienceSql } from './audience-sql.js';
import type { Database, DialectName } from './database.js';

const ADD_ROWS_PER_STATEMENT = 1_000;

/**
 * The keyed hash of a channel type and a canonical address that the ledger keeps instead of the address
 * (`app/delivery/recipient-hasher.ts`).
 */
export type AddressHasher = (channelType: ChannelType, canonicalAddress: string) => string;

/**
 * The app's opt-out list (`opt_out_list`): the addresses whose owner opted out on a channel type, kept whether or
 * not an endpoint has the address, until they opt back in. Keyed by the recipient hash: it holds no address, so
 * what is looked up is hashed first, and only when the app's list has an entry for the channel type (most lists
 * are empty, and an import looks up every new address). Runs inside the endpoint store's transactions.
 *
 * @example
 * await list.lock(trx, appId, 'read');
 * const listed = await list.listed(trx, appId, 'SMS', ['+16505551234', '+16505551235']); // Set {'+16505551234'}
 */
export class OptOutList {
  constructor(
    private readonly hash: AddressHasher,
    private readonly audienceSql: AudienceSql,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Orders a transaction that reads the list and then writes endpoints (`read`) against one that changes the list
   * and then the endpoints of its address (`change`, STOP and START). Under PostgreSQL's read committed, each
   * could otherwise miss the other: an endpoint created while a STOP was being recorded would start opted in.
   * Readers share the lock; a change waits for them and they for it. Must be the first lock the transaction
   * takes. SQLite's write transactions run one at a time already.
   */
  async lock(trx: Kysely<Database>, appId: string, mode: 'read' | 'change'): Promise<void> {
    if (this.dialect !== 'postgres') return;
    const take = sql.raw(mode === 'read' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock');
    await sql`select ${take}(hashtextextended(${`herald-opt-out-list:${appId}`}::text, 0))`.execute(trx);
  }

  /** The channel types among `channelTypes` that the app's list has any entry for. */
  async channelTypesListed(
    trx: Kysely<Database>,
    appId: string,
    channelTypes: Iterable<string>,
  ): Promise<Set<string>> {
    const listed = new Set<string>();
    for (const channelType of new Set(channelTypes)) {
      const found = await trx
        .selectFrom('opt_out_list')
        .select('channel_type')
        .where('app_id', '=', appId)
        .where('channel_type', '=', channelType)
        .limit(1)
        .executeTakeFirst();
      if (found) listed.add(channelType);
    }
    return listed;
  }

  /** The addresses among `addresses` (canonical, of one channel type) that are on the app's list. */
  async listed(
    trx: Kysely<Database>,
    appId: string,
    channelType: string,
    addresses: readonly string[],
  ): Promise<Set<string>> {
    return new Set((await this.listedAt(trx, appId, channelType, addresses)).keys());
  }

  /** When each of the addresses (canonical, of one channel type) that is on the app's list was put on it. */
  async listedAt(
    trx: Kysely<Database>,
    appId: string,
    channelType: string,
    addresses: readonly string[],
  ): Promise<Map<string, number>> {
    const byHash = new Map<string, string>();
    for (const address of addresses) byHash.set(this.hash(channelType as ChannelType, address), address);
    const listed = new Map<string, number>();
    if (byHash.size === 0) return listed;
    const rows = await trx
      .selectFrom('opt_out_list')
      .select(['recipient_hash', 'opted_out_at'])
      .where('app_id', '=', appId)
      .where('channel_type', '=', channelType)
      .where(this.audienceSql.inList('recipient_hash', [...byHash.keys()]))
      .execute();
    for (const row of rows) listed.set(byHash.get(row.recipient_hash) as string, Number(row.opted_out_at));
    return listed;
  }

  /** The app's list by channel type: how many entries, and the latest time one was added. */
  async counts(db: Kysely<Database>, appId: string): Promise<OptOutListCount[]> {
    const rows = await db
      .selectFrom('opt_out_list')
      .select((eb) => [
        'channel_type',
        eb.fn.countAll().as('count'),
        eb.fn.max('opted_out_at').as('last_opted_out_at'),
      ])
      .where('app_id', '=', appId)
      .groupBy('channel_type')
      .orderBy('channel_type')
      .execute();
    return rows.map((row) => ({
      channelType: row.channel_type as ChannelType,
      count: Number(row.count),
      lastOptedOutAt: Number(row.last_opted_out_at),
    }));
  }

  /**
   * Puts the addresses (distinct, of one channel type) on the list; an address already listed keeps its first time.
   * Returns how many were not listed before.
   */
  async add(
    trx: Kysely<Database>,
    appId: string,
    channelType: ChannelType,
    addresses: readonly string[],
    at: number,
  ): Promise<number> {
    let added = 0;
    // Four parameters a row: well within SQLite's 32,766 for any part.
    for (let start = 0; start < addresses.length; start += ADD_ROWS_PER_STATEMENT) {
      const result = await trx
        .insertInto('opt_out_list')
        .values(
          addresses.slice(start, start + ADD_ROWS_PER_STATEMENT).map((address) => ({
            app_id: appId,
            channel_type: channelType,
            recipient_hash: this.hash(channelType, address),
            opted_out_at: at,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return added;
  }

  /** Takes the addresses (of one channel type) off the list; returns how many were on it. */
  async remove(
    trx: Kysely<Database>,
    appId: string,
    channelType: string,
    addresses: readonly string[],
  ): Promise<number> {
    if (addresses.length === 0) return 0;
    const result = await trx
      .deleteFrom('opt_out_list')
      .where('app_id', '=', appId)
      .where('channel_type', '=', channelType)
      .where(
        this.audienceSql.inList(
          'recipient_hash',
          addresses.map((a) => this.hash(channelType as ChannelType, a)),
        ),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
