import { type Kysely, type Selectable, sql } from 'kysely';
import type { ChannelType } from '../domain/channel-type.js';
import { cohortIdOf } from '../domain/cohort-id.js';
import type { Endpoint } from '../domain/endpoint.js';
import { applyEndpointPatch, type EndpointPatch } from '../domain/endpoint-patch.js';
import { type AttributeKind, ENDPOINT_QUOTAS } from '../domain/endpoint-quotas.js';
import {
  appendEndpointRecord,
  attributeKeysOf,
  RECORD_AT,
  RECORD_FIELDS,
  RECORD_WIDTH,
  type RecordValue,
  recordBytes,
} from '../domain/endpoint-record.js';
import type {
  EndpointBatch,
  EndpointListFilter,
  EndpointStore,
  OptOutChange,
  OptOutListCount,
  RejectedPatch,
  UpsertOutcome,
} from '../ports/endpoint-store.js';
import type { ChangeEvents } from '../ports/event-outbox.js';
import { type AudienceSql, type EndpointRow, RECORD_COLUMNS, readJson } from './audience-sql.js';
import { audienceSqlFor } from './audience-sql-for.js';
import type { Database, DialectName } from './database.js';
import { insertDeliveries } from './event-outbox.js';
import { type AddressHasher, OptOutList } from './opt-out-list.js';

type Row = Selectable<Database['endpoints']>;

interface Pending {
  endpoint: Endpoint;
  /** The index of the last patch for this id: rejections are reported there. */
  index: number;
  row: EndpointRow;
}

const KINDS: readonly AttributeKind[] = ['attributes', 'metrics', 'userAttributes'];

export class KyselyEndpointStore implements EndpointStore {
  private readonly sql: AudienceSql;
  private readonly optOutList: OptOutList;
  /** Attribute keys known to be counted, by app: names stay counted, so a name seen once needs no read again. */
  private readonly knownKeys = new Map<string, Set<string>>();

  /** `hashAddress` keys the opt-out list: the ledger's recipient hash (`app/delivery/recipient-hasher.ts`). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    hashAddress: AddressHasher,
    audienceSql?: AudienceSql,
  ) {
    this.sql = audienceSql ?? audienceSqlFor(dialect);
    this.optOutList = new OptOutList(hashAddress, this.sql, dialect);
  }

  async get(appId: string, endpointId: string): Promise<Endpoint | undefined> {
    const row = await this.db
      .selectFrom('endpoints')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', endpointId)
      .executeTakeFirst();
    return row && toEndpoint(row);
  }

  async getMany(appId: string, ids: readonly string[]): Promise<Endpoint[]> {
    return (await selectByIds(this.db, this.sql, appId, ids)).map(toEndpoint);
  }

  async findByAddress(appId: string, channelType: ChannelType, address: string): Promise<Endpoint[]> {
    const rows = await this.db
      .selectFrom('endpoints')
      .selectAll()
      .where('app_id', '=', appId)
      .where('address', '=', address)
      .where('channel_type', '=', channelType)
      .orderBy('active', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toEndpoint);
  }

  async list(
    appId: string,
    filter: EndpointListFilter,
    page: { limit: number; afterId?: string },
  ): Promise<Endpoint[]> {
    let query = this.db.selectFrom('endpoints').selectAll().where('app_id', '=', appId);
    if (filter.channelType) query = query.where('channel_type', '=', filter.channelType);
    if (filter.addresses) query = query.where(this.sql.inList('address', filter.addresses));
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    if (filter.optOut) query = query.where('opt_out', '=', filter.optOut === 'ALL' ? 1 : 0);
    if (page.afterId !== undefined) query = query.where('id', '>', page.afterId);
    const rows = await query.orderBy('id').limit(page.limit).execute();
    return rows.map(toEndpoint);
  }

  async listByUser(appId: string, userId: string): Promise<Endpoint[]> {
    const rows = await this.db
      .selectFrom('endpoints')
      .selectAll()
      .where('app_id', '=', appId)
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map(toEndpoint);
  }

  async upsert(
    appId: string,
    patches: readonly EndpointPatch[],
    options: { at: number; mode?: 'all-or-nothing' | 'skip-rejected'; bulk?: boolean },
  ): Promise<UpsertOutcome> {
    if (patches.length === 0) return { written: [], rejected: [], deactivated: [] };
    try {
      return await this.upsertOnce(appId, patches, options, true);
    } catch (error) {
      if (!isUniqueViolation(error) && !(error instanceof RepeatCarefully)) throw error;
      return this.upsertOnce(appId, patches, options, false);
    }
  }

  private async upsertOnce(
    appId: string,
    patches: readonly EndpointPatch[],
    options: { at: number; mode?: 'all-or-nothing' | 'skip-rejected'; bulk?: boolean },
    plainInserts: boolean,
  ): Promise<UpsertOutcome> {
    const { at } = options;
    const outcome = await this.db.transaction().execute(async (trx) => {
      if (options.bulk) await this.sql.beginBulk(trx);
      await this.optOutList.lock(trx, appId, 'read');
      // Where a duplicate insert fails (PostgreSQL), a bulk write first assumes that patches naming a channel
      // and an address create their endpoint and reads only the others; a stored one among them fails the plain
      // insert and the call is repeated reading every id. Imports are mostly new endpoints.
      const optimistic = plainInserts && options.bulk === true && this.sql.insertFailsOnDuplicates;
      const ids = [
        ...new Set(
          patches
            .filter((p) => !optimistic || p.channelType === undefined || p.address === undefined)
            .map((p) => p.id),
        ),
      ];
      const stored = new Map<string, Endpoint>();
      for (const row of await selectByIds(trx, this.sql, appId, ids)) stored.set(row.id, toEndpoint(row));

      const rejected: RejectedPatch[] = [];
      const pending = new Map<string, Pending>();
      /** Ids whose last applied patch said `optOut: NONE`. */
      const optedIn = new Set<string>();
      // A Map iterates in insertion order, which is patch order unless an id comes back (its entry keeps its
      // first place but takes its last index): only then does patch order need a sort.
      let repeats = false;
      const inPatchOrder = (): Pending[] =>
        repeats ? [...pending.values()].sort((a, b) => a.index - b.index) : [...pending.values()];
      patches.forEach((patch, index) => {
        if (pending.has(patch.id)) repeats = true;
        const base = pending.get(patch.id)?.endpoint ?? stored.get(patch.id);
        const result = applyEndpointPatch(base, patch, { appId, at });
        if (!result.ok) {
          rejected.push({
            index,
            field: result.field,
            reason: result.reason,
            code: 'HERALD_VALIDATION_FAILED',
          });
          return;
        }
        const row = toRow(result.endpoint);
        if (rowBytes(row) > ENDPOINT_QUOTAS.endpointBytes) {
          rejected.push({
            index,
            field: 'endpoint',
            reason: `the endpoint would be larger than ${ENDPOINT_QUOTAS.endpointBytes / 1024} KB`,
            code: 'HERALD_QUOTA_EXCEEDED',
          });
          return;
        }
        pending.set(patch.id, { endpoint: result.endpoint, index, row });
        if (patch.optOut === 'NONE') optedIn.add(patch.id);
        else if (patch.optOut === 'ALL') optedIn.delete(patch.id);
      });

      const { admitted, counted } = await this.checkAttributeKeys(
        trx,
        appId,
        pending,
        rejected,
        inPatchOrder,
      );
      await this.checkUserQuota(trx, appId, pending, stored, rejected, inPatchOrder);
      // A name admitted only for patches the user quota then refused was never written: it is not counted (it took
      // one of the app's 250 names for good, found by a QA pass).
      const used = new Set<string>();
      for (const { endpoint } of pending.values()) for (const key of attributeKeysOf(endpoint)) used.add(key);
      const newKeys = admitted.filter((k) => used.has(`${k.kind}\u0000${k.name}`));
      if (counted && newKeys.length < admitted.length) {
        for (const k of admitted)
          if (!used.has(`${k.kind}\u0000${k.name}`)) counted.delete(`${k.kind}\u0000${k.name}`);
      }
      // A stored endpoint taken for new was merged with nothing and counted as new for its user; the plain
      // insert catches it unless it was refused, so refused ones are looked for.
      if (
        optimistic &&
        rejected.length > 0 &&
        (await this.anyStored(
          trx,
          appId,
          rejected.map((r) => (patches[r.index] as EndpointPatch).id),
        ))
      ) {
        throw new RepeatCarefully();
      }
      if (rejected.length > 0 && options.mode !== 'skip-rejected') {
        return { written: [], rejected: sortRejected(rejected), deactivated: [], counted: undefined };
      }

      await this.applyOptOutList(trx, appId, pending, stored, optedIn);
      if (newKeys.length > 0) {
        await trx
          .insertInto('endpoint_attribute_keys')
          .values(newKeys.map((k) => ({ app_id: appId, kind: k.kind, name: k.name })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      const deactivated = await this.takeAddresses(trx, appId, pending, at, inPatchOrder);
      const rows = inPatchOrder();
      if (plainInserts) {
        // Ids not found above are inserted without conflict handling (PostgreSQL's ON CONFLICT costs a
        // speculative insertion per row); a concurrent writer that created one meanwhile fails the statement
        // and the call is repeated the careful way.
        await this.sql.insertEndpointRows(
          trx,
          rows.filter((p) => !stored.has(p.endpoint.id)).map((p) => p.row),
        );
        await this.sql.writeEndpointRows(
          trx,
          rows.filter((p) => stored.has(p.endpoint.id)).map((p) => p.row),
        );
      } else {
        await this.sql.writeEndpointRows(
          trx,
          rows.map((p) => p.row),
        );
      }
      return {
        written: rows.map((p) => p.endpoint),
        rejected: sortRejected(rejected),
        deactivated,
        counted,
      };
    });
    // Only once committed: a rolled-back name must still be counted by the next write.
    if (outcome.counted) this.knownKeys.set(appId, outcome.counted);
    return { written: outcome.written, rejected: outcome.rejected, deactivated: outcome.deactivated };
  }

  /**
   * The opt-out list at work. An endpoint that arrives at a listed address (a new one, or a stored one whose channel
   * type or address changes) is written opted out, whatever the write says: the person's STOP is newer than the
   * app's data. A stored endpoint that keeps its address and is written with an explicit `optOut: NONE` takes the
   * address off the list first (the app has fresh consent; without this, deleting and recreating the endpoint
   * would opt it out again). Costs one indexed read per channel type written while the app's list is empty.
   */
  private async applyOptOutList(
    trx: Kysely<Database>,
    appId: string,
    pending: Map<string, Pending>,
    stored: ReadonlyMap<string, Endpoint>,
    optedIn: ReadonlySet<string>,
  ): Promise<void> {
    const arriving = new Map<string, Pending[]>();
    const affirmed = new Map<string, string[]>();
    for (const entry of pending.values()) {
      const { id, channelType, address, optOut } = entry.endpoint;
      const before = stored.get(id);
      if (before === undefined || before.channelType !== channelType || before.address !== address) {
        const list = arriving.get(channelType);
        if (list) list.push(entry);
        else arriving.set(channelType, [entry]);
      } else if (optOut === 'NONE' && optedIn.has(id)) {
        const list = affirmed.get(channelType);
        if (list) list.push(address);
        else affirmed.set(channelType, [address]);
      }
    }
    if (arriving.size === 0 && affirmed.size === 0) return;
    const listed = await this.optOutList.channelTypesListed(trx, appId, [
      ...arriving.keys(),
      ...affirmed.keys(),
    ]);
    for (const channelType of listed) {
      await this.optOutList.remove(trx, appId, channelType, affirmed.get(channelType) ?? []);
      const entries = arriving.get(channelType);
      if (!entries) continue;
      const addresses = await this.optOutList.listed(
        trx,
        appId,
        channelType,
        entries.map((e) => e.endpoint.address),
      );
      for (const entry of entries) {
        if (entry.endpoint.optOut === 'ALL' || !addresses.has(entry.endpoint.address)) continue;
        entry.endpoint = { ...entry.endpoint, optOut: 'ALL' };
        entry.row = { ...entry.row, opt_out: 1 };
      }
    }
  }

  /**
   * The app keeps at most 250 attribute names across its endpoints. Names already counted cost nothing; new
   * ones are admitted in patch order while room is left.
   */
  private async checkAttributeKeys(
    trx: Kysely<Database>,
    appId: string,
    pending: Map<string, Pending>,
    rejected: RejectedPatch[],
    inPatchOrder: () => Pending[],
  ): Promise<{ admitted: { kind: string; name: string }[]; counted: Set<string> | undefined }> {
    const wanted = new Set<string>();
    for (const { endpoint } of pending.values()) for (const key of attributeKeysOf(endpoint)) wanted.add(key);
    const cached = this.knownKeys.get(appId);
    if (wanted.size === 0 || (cached && [...wanted].every((k) => cached.has(k)))) {
      return { admitted: [], counted: undefined };
    }
    let known = await this.loadKeys(trx, appId);
    if ([...wanted].every((k) => known.has(k))) return { admitted: [], counted: known };
    if (this.dialect === 'postgres') {
      // New names are rare; lock the app so two writers cannot both take the last free slots.
      await sql`select id from apps where id = ${appId} for update`.execute(trx);
      known = await this.loadKeys(trx, appId);
    }
    const admitted: { kind: string; name: string }[] = [];
    for (const entry of inPatchOrder()) {
      const id = entry.endpoint.id;
      const fresh = attributeKeysOf(entry.endpoint).filter((k) => !known.has(k));
      if (fresh.length === 0) continue;
      if (known.size + fresh.length > ENDPOINT_QUOTAS.attributeKeysPerApp) {
        const [kind, name] = splitKey(fresh.find((k) => !known.has(k)) as string);
        rejected.push({
          index: entry.index,
          field: kind === 'userAttributes' ? `user.userAttributes.${name}` : `${kind}.${name}`,
          reason: `the app already uses ${known.size} of its ${ENDPOINT_QUOTAS.attributeKeysPerApp} attribute names (attributes, metrics and user attributes together)`,
          code: 'HERALD_QUOTA_EXCEEDED',
        });
        pending.delete(id);
        continue;
      }
      for (const key of fresh) {
        known.add(key);
        const [kind, name] = splitKey(key);
        admitted.push({ kind, name });
      }
    }
    return { admitted, counted: known };
  }

  private async loadKeys(trx: Kysely<Database>, appId: string): Promise<Set<string>> {
    const rows = await trx
      .selectFrom('endpoint_attribute_keys')
      .select(['kind', 'name'])
      .where('app_id', '=', appId)
      .execute();
    return new Set(rows.map((r) => `${r.kind}\u0000${r.name}`));
  }

  /**
   * At most 15 endpoints per user id. Endpoints the user already had keep their place; new ones are admitted
   * in patch order while room is left.
   */
  private async checkUserQuota(
    trx: Kysely<Database>,
    appId: string,
    pending: Map<string, Pending>,
    stored: ReadonlyMap<string, Endpoint>,
    rejected: RejectedPatch[],
    inPatchOrder: () => Pending[],
  ): Promise<void> {
    const userIds = new Set<string>();
    for (const { endpoint } of pending.values()) if (endpoint.user?.userId) userIds.add(endpoint.user.userId);
    if (userIds.size === 0) return;
    const counts = await this.countByUser(trx, appId, userIds, [...pending.keys()]);
    // Endpoints the user already had first (a stable partition keeps patch order within each part).
    const member = (entry: Pending) =>
      stored.get(entry.endpoint.id)?.user?.userId === entry.endpoint.user?.userId;
    const ordered = inPatchOrder();
    const order = [...ordered.filter(member), ...ordered.filter((e) => !member(e))];
    for (const entry of order) {
      const id = entry.endpoint.id;
      const userId = entry.endpoint.user?.userId;
      if (!userId) continue;
      const count = counts.get(userId) ?? 0;
      if (count + 1 > ENDPOINT_QUOTAS.endpointsPerUser) {
        rejected.push(userQuotaRejection(entry.index, count));
        pending.delete(id);
        continue;
      }
      counts.set(userId, count + 1);
    }
  }

  /**
   * An ACTIVE endpoint takes its address: within the call the last patch for an address wins (earlier ones are
   * written INACTIVE), and stored endpoints of the same channel with that address become INACTIVE.
   */
  private async takeAddresses(
    trx: Kysely<Database>,
    appId: string,
    pending: Map<string, Pending>,
    at: number,
    inPatchOrder: () => Pending[],
  ): Promise<string[]> {
    const winners = new Map<string, Pending>();
    for (const entry of inPatchOrder()) {
      if (entry.endpoint.endpointStatus !== 'ACTIVE') continue;
      const key = `${entry.endpoint.channelType}\u0000${entry.endpoint.address}`;
      const previous = winners.get(key);
      if (previous) {
        previous.endpoint = { ...previous.endpoint, endpointStatus: 'INACTIVE' };
        previous.row = { ...previous.row, active: 0 };
      }
      winners.set(key, entry);
    }
    if (winners.size === 0) return [];
    const ids: string[] = [];
    for (const entry of winners.values()) ids.push(entry.endpoint.id);
    const rows = await this.deactivateAddresses(
      trx,
      appId,
      [...winners.values()].map((e) => e.endpoint),
      ids,
      at,
    );
    const deactivated: string[] = [];
    for (const row of rows) if (!pending.has(row.id)) deactivated.push(row.id);
    return deactivated;
  }

  /**
   * Makes the app's ACTIVE endpoints with one of these (channel, address) pairs INACTIVE, except `keep`; returns
   * their ids.
   */
  private async deactivateAddresses(
    trx: Kysely<Database>,
    appId: string,
    taken: readonly { channelType: string; address: string }[],
    keep: readonly string[],
    at: number,
  ): Promise<{ id: string }[]> {
    // One statement for every channel: the address index finds the candidates, the (channel, address) pair
    // keeps an address taken on one channel from deactivating its twin on another.
    const addresses = new Set<string>();
    const pairs: string[] = [];
    for (const { channelType, address } of taken) {
      addresses.add(address);
      pairs.push(`${channelType}:${address}`);
    }
    let query = trx
      .updateTable('endpoints')
      .set({ active: 0, updated_at: at })
      .where('app_id', '=', appId)
      .where('active', '=', 1)
      .where(this.sql.inList('address', [...addresses]))
      .where(this.sql.inList(sql`channel_type || ':' || address`, pairs));
    if (keep.length > 0) query = query.where((eb) => eb.not(this.sql.inList('id', keep)));
    return query.returning('id').execute();
  }

  async importBatch(
    appId: string,
    batch: EndpointBatch,
    options: { at: number },
  ): Promise<{ written: readonly string[]; rejected: readonly RejectedPatch[] }> {
    if (batch.count === 0) return { written: [], rejected: [] };
    try {
      const outcome = await this.importNewEndpoints(appId, batch, options.at);
      if (outcome) return outcome;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const patches = JSON.parse(batch.patches) as EndpointPatch[];
    const outcome = await this.upsert(appId, patches, { at: options.at, mode: 'skip-rejected', bulk: true });
    return { written: outcome.written.map((e) => e.id), rejected: outcome.rejected };
  }

  /**
   * `upsert` for a batch of endpoints that are all new, from their records: none of the merging, no object per
   * endpoint. Undefined (nothing written) when the batch is not that case: an id repeats or is stored, an
   * endpoint is over the size quota, or the batch brings attribute names the app has not counted yet; the
   * caller then takes the general path. What remains of Pinpoint's rules is applied as `upsert` does when
   * nothing is stored: the user quota in patch order, and address takeover (the last patch for an address
   * wins; stored endpoints with it become INACTIVE).
   */
  private async importNewEndpoints(
    appId: string,
    batch: EndpointBatch,
    at: number,
  ): Promise<{ written: string[]; rejected: RejectedPatch[] } | undefined> {
    const { records } = batch;
    const count = batch.count;
    if (records.length !== count * RECORD_WIDTH) throw new Error('an import batch has a record per patch');
    const ids: string[] = new Array(count);
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const id = records[i * RECORD_WIDTH + RECORD_AT.id] as string;
      if (seen.has(id)) return undefined;
      seen.add(id);
      ids[i] = id;
      if (recordBytes(records, i * RECORD_WIDTH) > ENDPOINT_QUOTAS.endpointBytes) return undefined;
    }
    // Counted names stay counted, so what is read here outside the transaction still holds inside it.
    let counted: Set<string> | undefined;
    const cached = this.knownKeys.get(appId);
    if (!batch.keys.every((k) => cached?.has(k))) {
      counted = await this.loadKeys(this.db, appId);
      if (!batch.keys.every((k) => counted?.has(k))) return undefined;
    }

    const outcome = await this.db.transaction().execute(async (trx) => {
      await this.sql.beginBulk(trx);
      await this.optOutList.lock(trx, appId, 'read');
      // Inserting a stored id fails the insert (a unique violation, which `importBatch` answers by taking the
      // general path): the insert itself is the check for the rows it writes.

      const rejected: RejectedPatch[] = [];
      const rows: number[] = [];
      const users = new Set<string>();
      for (let i = 0; i < count; i++) {
        const userId = records[i * RECORD_WIDTH + RECORD_AT.userId];
        if (typeof userId === 'string') users.add(userId);
      }
      const perUser = users.size > 0 ? await this.countByUser(trx, appId, users) : new Map<string, number>();
      for (let i = 0; i < count; i++) {
        const userId = records[i * RECORD_WIDTH + RECORD_AT.userId];
        if (typeof userId === 'string' && userId !== '') {
          const n = perUser.get(userId) ?? 0;
          if (n + 1 > ENDPOINT_QUOTAS.endpointsPerUser) {
            rejected.push(userQuotaRejection(i, n));
            continue;
          }
          perUser.set(userId, n + 1);
        }
        rows.push(i);
      }
      // A stored endpoint among the refused rows would have counted twice for its user; the insert does not
      // see it, so it is looked for here.
      if (
        rejected.length > 0 &&
        (await this.anyStored(
          trx,
          appId,
          rejected.map((r) => ids[r.index] as string),
        ))
      ) {
        return undefined;
      }

      const winners = new Map<string, number>();
      const inactive = new Set<number>();
      for (const row of rows) {
        const base = row * RECORD_WIDTH;
        if (records[base + RECORD_AT.active] !== 1) continue;
        const key = `${records[base + RECORD_AT.channelType]}\u0000${records[base + RECORD_AT.address]}`;
        const previous = winners.get(key);
        if (previous !== undefined) inactive.add(previous);
        winners.set(key, row);
      }
      if (winners.size > 0) {
        const taken: { channelType: string; address: string }[] = [];
        for (const row of winners.values()) {
          taken.push({
            channelType: records[row * RECORD_WIDTH + RECORD_AT.channelType] as string,
            address: records[row * RECORD_WIDTH + RECORD_AT.address] as string,
          });
        }
        await this.deactivateAddresses(trx, appId, taken, [], at);
      }
      await this.sql.insertEndpointRecords(trx, {
        appId,
        at,
        records: await this.optOutListed(trx, appId, records, rows),
        rows,
        inactive,
      });
      return { written: rows.map((row) => ids[row] as string), rejected };
    });
    if (outcome && counted) this.knownKeys.set(appId, counted);
    return outcome;
  }

  /**
   * The records with those of `rows` whose address is on the app's opt-out list opted out, as `applyOptOutList`
   * does for a new endpoint: a copy when any is (the batch is the caller's), else the records as they are, for the
   * price of one indexed read per channel type in the batch.
   */
  private async optOutListed(
    trx: Kysely<Database>,
    appId: string,
    records: readonly RecordValue[],
    rows: readonly number[],
  ): Promise<readonly RecordValue[]> {
    const channelTypes = new Set<string>();
    for (const row of rows) channelTypes.add(records[row * RECORD_WIDTH + RECORD_AT.channelType] as string);
    const listedTypes = await this.optOutList.channelTypesListed(trx, appId, channelTypes);
    let out: RecordValue[] | undefined;
    for (const channelType of listedTypes) {
      const theirs = rows.filter(
        (row) => records[row * RECORD_WIDTH + RECORD_AT.channelType] === channelType,
      );
      const listed = await this.optOutList.listed(
        trx,
        appId,
        channelType,
        theirs.map((row) => records[row * RECORD_WIDTH + RECORD_AT.address] as string),
      );
      if (listed.size === 0) continue;
      out ??= records.slice();
      for (const row of theirs) {
        if (listed.has(records[row * RECORD_WIDTH + RECORD_AT.address] as string)) {
          out[row * RECORD_WIDTH + RECORD_AT.optOut] = 1;
        }
      }
    }
    return out ?? records;
  }

  /**
   * How many stored endpoints each user has, leaving out `exceptIds` (those being rewritten). On PostgreSQL the
   * users are locked first, until the transaction ends: two writers adding endpoints for one user would each count
   * what was committed before either and together pass the quota. SQLite has one writer at a time.
   */
  private async countByUser(
    trx: Kysely<Database>,
    appId: string,
    userIds: ReadonlySet<string>,
    exceptIds: readonly string[] = [],
  ): Promise<Map<string, number>> {
    if (this.dialect === 'postgres') {
      // Transaction-scoped advisory locks on (app, user) hashes, taken in one order so two writers of several
      // users cannot deadlock; a hash collision only makes an unrelated writer wait.
      await sql`select pg_advisory_xact_lock(hashtext(${appId}), h) from (select distinct hashtext(u) as h from unnest(${[...userIds]}::text[]) as u order by h) as users`.execute(
        trx,
      );
    }
    let query = trx
      .selectFrom('endpoints')
      .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('app_id', '=', appId)
      .where(this.sql.inList('user_id', [...userIds]));
    if (exceptIds.length > 0) query = query.where((eb) => eb.not(this.sql.inList('id', exceptIds)));
    const counts = new Map<string, number>();
    for (const row of await query.groupBy('user_id').execute())
      if (row.user_id !== null) counts.set(row.user_id, Number(row.n));
    return counts;
  }

  private async anyStored(trx: Kysely<Database>, appId: string, ids: readonly string[]): Promise<boolean> {
    const found = await trx
      .selectFrom('endpoints')
      .select('id')
      .where('app_id', '=', appId)
      .where(this.sql.inList('id', ids))
      .limit(1)
      .execute();
    return found.length > 0;
  }

  async delete(appId: string, endpointId: string): Promise<Endpoint | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .deleteFrom('endpoints')
        .where('app_id', '=', appId)
        .where('id', '=', endpointId)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await trx
        .deleteFrom('segment_members')
        .where('app_id', '=', appId)
        .where('endpoint_id', '=', endpointId)
        .execute();
      return toEndpoint(row);
    });
  }

  async deleteByUser(appId: string, userId: string): Promise<Endpoint[]> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .deleteFrom('endpoints')
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .returningAll()
        .execute();
      if (rows.length > 0) {
        await trx
          .deleteFrom('segment_members')
          .where('app_id', '=', appId)
          .where(
            this.sql.inList(
              'endpoint_id',
              rows.map((r) => r.id),
            ),
          )
          .execute();
      }
      return rows.map(toEndpoint).sort((a, b) => (a.id < b.id ? -1 : 1));
    });
  }

  async setOptOut(
    appId: string,
    channelType: ChannelType,
    address: string,
    optOut: 'NONE' | 'ALL',
    at: number,
    events?: ChangeEvents<OptOutChange>,
  ): Promise<string[]> {
    return [...(await this.setOptOuts(appId, channelType, [address], optOut, at, events)).endpointIds];
  }

  async setOptOuts(
    appId: string,
    channelType: ChannelType,
    addresses: readonly string[],
    optOut: 'NONE' | 'ALL',
    at: number,
    events?: ChangeEvents<OptOutChange>,
  ): Promise<OptOutChange> {
    if (addresses.length === 0) return { listChanged: 0, endpointIds: [] };
    const value = optOut === 'ALL' ? 1 : 0;
    return this.db.transaction().execute(async (trx) => {
      // The list first, then the endpoints: an endpoint created meanwhile either reads the new list or is
      // committed before the update below looks for endpoints (`OptOutList.lock`).
      await this.optOutList.lock(trx, appId, 'change');
      const listChanged =
        optOut === 'ALL'
          ? await this.optOutList.add(trx, appId, channelType, addresses, at)
          : await this.optOutList.remove(trx, appId, channelType, addresses);
      const rows = await trx
        .updateTable('endpoints')
        .set({ opt_out: value, updated_at: at })
        .where('app_id', '=', appId)
        .where('channel_type', '=', channelType)
        .where(this.sql.inList('address', addresses))
        .where('opt_out', '<>', value)
        .returning('id')
        .execute();
      const change = { listChanged, endpointIds: rows.map((r) => r.id).sort() };
      if (events) await insertDeliveries(trx, events(change), at);
      return change;
    });
  }

  async optedOutAt(
    appId: string,
    channelType: ChannelType,
    addresses: readonly string[],
  ): Promise<Map<string, number>> {
    return this.optOutList.listedAt(this.db, appId, channelType, addresses);
  }

  async optOutCounts(appId: string): Promise<OptOutListCount[]> {
    return this.optOutList.counts(this.db, appId);
  }

  async forgetOptOut(appId: string, channelType: ChannelType, address: string): Promise<void> {
    await this.optOutList.remove(this.db, appId, channelType, [address]);
  }

  async touchActivity(appId: string, endpointIds: readonly string[], at: number): Promise<void> {
    if (endpointIds.length === 0) return;
    await this.db
      .updateTable('endpoints')
      .set({ last_active_at: at })
      .where('app_id', '=', appId)
      .where(this.sql.inList('id', endpointIds))
      .where((eb) => eb.or([eb('last_active_at', 'is', null), eb('last_active_at', '<', at)]))
      .execute();
  }

  async attributeKeys(appId: string): Promise<{ kind: string; name: string }[]> {
    return this.db
      .selectFrom('endpoint_attribute_keys')
      .select(['kind', 'name'])
      .where('app_id', '=', appId)
      .orderBy('kind')
      .orderBy('name')
      .execute();
  }

  /** Tells the dialect how many rows a bulk load wrote (imports call it after each batch). */
  async afterBulkWrite(rows: number): Promise<void> {
    await this.sql.afterBulkWrite(this.db, rows);
  }
}

async function selectByIds(
  db: Kysely<Database>,
  audienceSql: AudienceSql,
  appId: string,
  ids: readonly string[],
): Promise<Row[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('endpoints')
    .selectAll()
    .where('app_id', '=', appId)
    .where(audienceSql.inList('id', ids))
    .execute();
}

function splitKey(key: string): [AttributeKind, string] {
  const at = key.indexOf('\u0000');
  const kind = key.slice(0, at) as AttributeKind;
  return [KINDS.includes(kind) ? kind : 'attributes', key.slice(at + 1)];
}

function sortRejected(rejected: RejectedPatch[]): RejectedPatch[] {
  return rejected.sort((a, b) => a.index - b.index);
}

function rowBytes(row: EndpointRow): number {
  let size = row.address.length + row.id.length;
  for (const value of [row.attributes, row.metrics, row.user_attributes]) {
    if (typeof value === 'string') size += value.length;
  }
  return size;
}

export function toRow(endpoint: Endpoint): EndpointRow {
  const record: RecordValue[] = [];
  appendEndpointRecord(record, endpoint);
  const row: Record<string, unknown> = {
    app_id: endpoint.appId,
    last_active_at: endpoint.lastActiveAt ?? null,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
  };
  RECORD_FIELDS.forEach((field, i) => {
    row[RECORD_COLUMNS[field]] = record[i];
  });
  return row as unknown as EndpointRow;
}

function userQuotaRejection(index: number, count: number): RejectedPatch {
  return {
    index,
    field: 'user.userId',
    reason: `the user already has ${count} endpoints (at most ${ENDPOINT_QUOTAS.endpointsPerUser})`,
    code: 'HERALD_QUOTA_EXCEEDED',
  };
}

export function toEndpoint(row: Row): Endpoint {
  const userAttributes = readJson<Record<string, string[]>>(row.user_attributes, {});
  const hasUser = row.user_id !== null || Object.keys(userAttributes).length > 0;
  const location: Record<string, string | number> = {};
  const demographic: Record<string, string> = {};
  if (row.country !== null) location.country = row.country;
  if (row.city !== null) location.city = row.city;
  if (row.region !== null) location.region = row.region;
  if (row.postal_code !== null) location.postalCode = row.postal_code;
  if (row.latitude !== null) location.latitude = Number(row.latitude);
  if (row.longitude !== null) location.longitude = Number(row.longitude);
  if (row.locale !== null) demographic.locale = row.locale;
  if (row.timezone !== null) demographic.timezone = row.timezone;
  if (row.platform !== null) demographic.platform = row.platform;
  if (row.platform_version !== null) demographic.platformVersion = row.platform_version;
  if (row.make !== null) demographic.make = row.make;
  if (row.model !== null) demographic.model = row.model;
  if (row.model_version !== null) demographic.modelVersion = row.model_version;
  if (row.app_version !== null) demographic.appVersion = row.app_version;
  return {
    appId: row.app_id,
    id: row.id,
    channelType: row.channel_type as ChannelType,
    address: row.address,
    endpointStatus: Number(row.active) === 1 ? 'ACTIVE' : 'INACTIVE',
    optOut: Number(row.opt_out) === 1 ? 'ALL' : 'NONE',
    ...(row.effective_date !== null ? { effectiveDate: row.effective_date } : {}),
    ...(row.request_id !== null ? { requestId: row.request_id } : {}),
    attributes: readJson(row.attributes, {}),
    metrics: readJson(row.metrics, {}),
    ...(hasUser
      ? { user: { ...(row.user_id !== null ? { userId: row.user_id } : {}), userAttributes } }
      : {}),
    location,
    demographic,
    cohortId: cohortIdOf(row.id),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.last_active_at !== null ? { lastActiveAt: Number(row.last_active_at) } : {}),
  };
}

/** An optimistic write found it assumed wrongly: rolled back, and repeated reading every endpoint. */
class RepeatCarefully extends Error {}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
