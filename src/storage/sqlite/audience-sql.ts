import { CompiledQuery, type Kysely, type SqlBool, sql } from 'kysely';
import { RECORD_FIELDS, RECORD_WIDTH } from '../../domain/endpoint-record.js';
import {
  type AudienceSql,
  type EndpointRow,
  type ListColumn,
  RECORD_COLUMNS,
  type TimeBounds,
  type TimesColumn,
} from '../audience-sql.js';
import type { Database } from '../database.js';

const COLUMNS = [
  'app_id',
  'id',
  'channel_type',
  'address',
  'active',
  'opt_out',
  'effective_date',
  'request_id',
  'user_id',
  'country',
  'city',
  'region',
  'postal_code',
  'latitude',
  'longitude',
  'locale',
  'timezone',
  'platform',
  'platform_version',
  'make',
  'model',
  'model_version',
  'app_version',
  'attributes',
  'metrics',
  'user_attributes',
  'attribute_times',
  'user_attribute_times',
  'last_active_at',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof EndpointRow)[];

const KEPT_ON_UPDATE = new Set(['app_id', 'id', 'created_at', 'last_active_at']);
// SQLite takes at most 32,766 parameters per statement.
const ROWS_PER_STATEMENT = Math.floor(32_000 / COLUMNS.length);

/**
 * Where each column's value comes from when a record is inserted: the record field at that offset, or (negative)
 * the app id, the time of the write, or null.
 */
const APP = -1;
const AT = -2;
const NULL = -3;
const RECORD_SOURCES = COLUMNS.map((column) => {
  if (column === 'app_id') return APP;
  if (column === 'created_at' || column === 'updated_at') return AT;
  const field = RECORD_FIELDS.findIndex((f) => RECORD_COLUMNS[f] === column);
  return field === -1 ? NULL : field;
});

const ACTIVE_COLUMN = COLUMNS.indexOf('active');

/**
 * Multi-row statements by row count, upserts or plain inserts: the SQL text is the statement cache's key, so it
 * must repeat exactly.
 */
const statements = new Map<string, string>();
function insertStatement(rows: number, upsert: boolean): string {
  const key = `${rows}:${upsert}`;
  let text = statements.get(key);
  if (!text) {
    const tuple = `(${COLUMNS.map(() => '?').join(',')})`;
    const updates = COLUMNS.filter((c) => !KEPT_ON_UPDATE.has(c))
      .map((c) => `"${c}" = excluded."${c}"`)
      .join(', ');
    text = `insert into "endpoints" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${Array(rows).fill(tuple).join(',')}`;
    if (upsert) text += ` on conflict ("app_id", "id") do update set ${updates}`;
    statements.set(key, text);
  }
  return text;
}

/** SQLite: JSON as text, read with json_each; bulk writes as cached multi-row statements. */
export function sqliteAudienceSql(): AudienceSql {
  return {
    // One JSON parameter rather than one parameter per value: the statement text stays the same for any number
    // of values (so the statement cache holds it) and Kysely has no thousand-node list to compile.
    inList(column, values) {
      const target = typeof column === 'string' ? sql.ref(column) : column;
      return sql<boolean>`${target} in (select value from json_each(${JSON.stringify(values)}))`;
    },

    insertFailsOnDuplicates: false,

    // SQLite's upsert costs what an insert does: one statement for both.
    insertEndpointRows(db: Kysely<Database>, rows: readonly EndpointRow[]) {
      return this.writeEndpointRows(db, rows);
    },

    // A plain insert: a stored id fails it, which is the check that the rows are new (the primary key is
    // searched once per row either way).
    async insertEndpointRecords(db, { appId, at, records, rows, inactive }) {
      const width = COLUMNS.length;
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const count = Math.min(ROWS_PER_STATEMENT, rows.length - start);
        const parameters: unknown[] = new Array(count * width);
        let p = 0;
        for (let r = start; r < start + count; r++) {
          const row = rows[r] as number;
          const base = row * RECORD_WIDTH;
          for (const source of RECORD_SOURCES) {
            parameters[p++] =
              source >= 0 ? records[base + source] : source === APP ? appId : source === AT ? at : null;
          }
          if (inactive.has(row)) parameters[p - width + ACTIVE_COLUMN] = 0;
        }
        await db.executeQuery(CompiledQuery.raw(insertStatement(count, false), parameters));
      }
    },

    async writeEndpointRows(db: Kysely<Database>, rows: readonly EndpointRow[]) {
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
        const parameters: unknown[] = [];
        for (const row of chunk) for (const column of COLUMNS) parameters.push(row[column]);
        await db.executeQuery(CompiledQuery.raw(insertStatement(chunk.length, true), parameters));
      }
    },

    json: (value) => (value === null ? null : JSON.stringify(value)),

    // Both indexes start with app_id and SQLite rates them alike, so it may pick the narrower (app_id, user_id)
    // and search the primary key once per row: 4x slower over a million endpoints. A range on the key's second
    // column (true of every id) makes the primary key the better-rated path. Exactly one range: given two lower
    // bounds, SQLite seeks by one and filters by the other, and a page after `afterId` would start from the top.
    inApp: (appId, afterId) =>
      sql<SqlBool>`(e.app_id = ${appId} and e.id ${afterId === undefined ? sql`>= ''` : sql`> ${afterId}`})`,

    listHasAny(column: ListColumn, name, values) {
      const { from, key } = listValues(column, name);
      return sql<boolean>`exists (select 1 from ${from} where ${key} and v.value in (${sql.join(values)}))`;
    },

    listContainsAny(column: ListColumn, name, needles) {
      const any = sql.join(
        needles.map((n) => sql`instr(v.value, ${n}) > 0`),
        sql` or `,
      );
      const { from, key } = listValues(column, name);
      return sql<boolean>`exists (select 1 from ${from} where ${key} and v.type = 'text' and (${any}))`;
    },

    timesWithin(column: TimesColumn, name, bounds: TimeBounds) {
      const { from, key } = listValues(column, name);
      return sql<boolean>`exists (select 1 from ${from} where ${key}${boundsSql(bounds)})`;
    },

    metric(name) {
      return sql<number | null>`(select m.value from json_each(e.metrics) m where m.key = ${name})`;
    },

    // Already so: WAL with synchronous=NORMAL does not flush on commit.
    async beginBulk() {},

    async afterBulkWrite() {},
  };
}

/**
 * The values of the map's entry `name` as the rows of `v`. A JSON path reads that one entry, instead of walking
 * every entry of the map (a tenth faster on a segment scan); SQLite's path syntax cannot quote a name holding a
 * double quote, and those few walk the map.
 */
function listValues(column: ListColumn | TimesColumn, name: string) {
  const map = sql.ref(`e.${column}`);
  if (name.includes('"'))
    return { from: sql`json_each(${map}) k, json_each(k.value) v`, key: sql`k.key = ${name}` };
  return { from: sql`json_each(${map}, ${`$."${name}"`}) v`, key: sql`1 = 1` };
}

function boundsSql(bounds: TimeBounds) {
  const parts = [];
  if (bounds.gt !== undefined) parts.push(sql` and v.value > ${bounds.gt}`);
  if (bounds.gte !== undefined) parts.push(sql` and v.value >= ${bounds.gte}`);
  if (bounds.lt !== undefined) parts.push(sql` and v.value < ${bounds.lt}`);
  if (bounds.lte !== undefined) parts.push(sql` and v.value <= ${bounds.lte}`);
  return sql.join(parts, sql``);
}
