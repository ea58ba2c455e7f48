import type { Expression, Kysely, RawBuilder, SqlBool } from 'kysely';
import type { RecordField, RecordValue } from '../domain/endpoint-record.js';
import type { Database } from './database.js';
import type { AudienceTables } from './tables/audience-tables.js';

export type EndpointRow = AudienceTables['endpoints'];

/** The endpoints column that holds each field of an endpoint record (`domain/endpoint-record.ts`). */
export const RECORD_COLUMNS = {
  id: 'id',
  channelType: 'channel_type',
  address: 'address',
  active: 'active',
  optOut: 'opt_out',
  effectiveDate: 'effective_date',
  requestId: 'request_id',
  userId: 'user_id',
  country: 'country',
  city: 'city',
  region: 'region',
  postalCode: 'postal_code',
  latitude: 'latitude',
  longitude: 'longitude',
  locale: 'locale',
  timezone: 'timezone',
  platform: 'platform',
  platformVersion: 'platform_version',
  make: 'make',
  model: 'model',
  modelVersion: 'model_version',
  appVersion: 'app_version',
  attributes: 'attributes',
  metrics: 'metrics',
  userAttributes: 'user_attributes',
  attributeTimes: 'attribute_times',
  userAttributeTimes: 'user_attribute_times',
} as const satisfies Record<RecordField, keyof EndpointRow>;

/**
 * Records of new endpoints to insert: `rows` are the indexes of the records (`RECORD_WIDTH` values each) to write,
 * as endpoints of `appId` created and updated at `at`.
 */
export interface NewEndpointRecords {
  readonly appId: string;
  readonly at: number;
  readonly records: readonly RecordValue[];
  readonly rows: readonly number[];
  /** Rows written INACTIVE whatever their record says (a later row of the batch took the address). */
  readonly inactive: ReadonlySet<number>;
}

/** JSON columns holding name -> string[] maps, and their derived name -> epoch-ms maps. */
export type ListColumn = 'attributes' | 'user_attributes';
export type TimesColumn = 'attribute_times' | 'user_attribute_times';

/**
 * Bounds on a time, in epoch ms; each one given must hold.
 *
 * @example
 * audienceSql.timesWithin('attribute_times', 'SignupDate', { gte: Date.UTC(2026, 0, 1), lt: Date.UTC(2026, 0, 2) });
 */
export interface TimeBounds {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
}

/**
 * The audience statements that differ between SQLite and PostgreSQL: list membership, JSON evaluation of
 * attributes and metrics, and bulk endpoint writes. `storage/sqlite/audience-sql.ts` and
 * `storage/postgres/audience-sql.ts` implement it; predicates refer to the endpoints table as `e`.
 *
 * @example
 * const where = audienceSql.listHasAny('attributes', 'Interests', ['Music']);
 * await db.selectFrom('endpoints as e').select((eb) => eb.fn.countAll().as('n')).where(where).execute();
 */
export interface AudienceSql {
  /** `column` (a name, or an expression) is one of `values`: one parameter on either dialect. */
  inList(column: string | RawBuilder<unknown>, values: readonly string[]): RawBuilder<SqlBool>;
  /** Whether `insertEndpointRows` fails on an existing id (true) or updates it (false). */
  readonly insertFailsOnDuplicates: boolean;
  /** Inserts rows believed new; may fail with a unique violation when one exists after all. */
  insertEndpointRows(db: Kysely<Database>, rows: readonly EndpointRow[]): Promise<void>;
  /**
   * Inserts new endpoints from records, without a row object per endpoint (imports). Fails with a unique
   * violation, on both databases, when one of the ids is stored.
   */
  insertEndpointRecords(db: Kysely<Database>, records: NewEndpointRecords): Promise<void>;
  /** Inserts the rows, or replaces every column of an existing row except `created_at` and `last_active_at`. */
  writeEndpointRows(db: Kysely<Database>, rows: readonly EndpointRow[]): Promise<void>;
  /** The value to store in a JSON column. */
  json(value: unknown): unknown;
  /** The endpoint's list `name` holds one of `values`. Never NULL. */
  listHasAny(column: ListColumn, name: string, values: readonly string[]): RawBuilder<SqlBool>;
  /** One of the list's values contains one of `needles` (case-sensitive). Never NULL. */
  listContainsAny(column: ListColumn, name: string, needles: readonly string[]): RawBuilder<SqlBool>;
  /** One of the list's values, read as a time, is within `bounds`. Never NULL. */
  timesWithin(column: TimesColumn, name: string, bounds: TimeBounds): RawBuilder<SqlBool>;
  /**
   * `e` restricted to one app (and to the ids after `afterId`), written so that the planner walks the app's rows
   * in primary-key order. A segment scans most of an app; reaching each row through a secondary index instead
   * costs a primary-key search per row.
   */
  inApp(appId: string, afterId?: string): RawBuilder<SqlBool>;
  /** The metric's value, NULL when the endpoint has none. */
  metric(name: string): RawBuilder<number | null>;
  /**
   * Prepares a bulk-load transaction: on PostgreSQL its commit does not wait for the WAL flush (a server crash
   * may lose the last batches, which an import re-applies when it resumes; nothing else is at risk).
   */
  beginBulk(trx: Kysely<Database>): Promise<void>;
  /** Called after bulk writes with the number of rows written (PostgreSQL refreshes planner statistics). */
  afterBulkWrite(db: Kysely<Database>, rows: number): Promise<void>;
}

/** JSON columns come back as text on SQLite and parsed on PostgreSQL. */
export function readJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') return JSON.parse(value) as T;
  return value as T;
}

/** A boolean SQL expression that is true: the neutral element of AND. */
export type Predicate = Expression<SqlBool>;
