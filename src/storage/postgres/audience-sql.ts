import { CompiledQuery, type Kysely, type SqlBool, sql } from 'kysely';
import { RECORD_AT, RECORD_FIELDS, RECORD_WIDTH, type RecordValue } from '../../domain/endpoint-record.js';
import {
  type AudienceSql,
  type EndpointRow,
  type ListColumn,
  RECORD_COLUMNS,
  type TimeBounds,
  type TimesColumn,
} from '../audience-sql.js';
import type { Database } from '../database.js';

/** Each endpoints column with the array type `unnest` reads it as. */
const COLUMNS: readonly (readonly [keyof EndpointRow, string])[] = [
  ['app_id', 'text'],
  ['id', 'text'],
  ['channel_type', 'text'],
  ['address', 'text'],
  ['active', 'integer'],
  ['opt_out', 'integer'],
  ['effective_date', 'text'],
  ['request_id', 'text'],
  ['user_id', 'text'],
  ['country', 'text'],
  ['city', 'text'],
  ['region', 'text'],
  ['postal_code', 'text'],
  ['latitude', 'double precision'],
  ['longitude', 'double precision'],
  ['locale', 'text'],
  ['timezone', 'text'],
  ['platform', 'text'],
  ['platform_version', 'text'],
  ['make', 'text'],
  ['model', 'text'],
  ['model_version', 'text'],
  ['app_version', 'text'],
  ['attributes', 'jsonb'],
  ['metrics', 'jsonb'],
  ['user_attributes', 'jsonb'],
  ['attribute_times', 'jsonb'],
  ['user_attribute_times', 'jsonb'],
  ['last_active_at', 'bigint'],
  ['created_at', 'bigint'],
  ['updated_at', 'bigint'],
];

const RECORD_COLUMN_NAMES = RECORD_FIELDS.map((field) => RECORD_COLUMNS[field]);
const COPY_RECORDS = `copy endpoints (app_id, ${RECORD_COLUMN_NAMES.map((c) => `"${c}"`).join(', ')}, created_at, updated_at) from stdin`;

const KEPT_ON_UPDATE = new Set(['app_id', 'id', 'created_at', 'last_active_at']);

/** The first planner statistics are taken after this many rows, then each time the table may have grown tenfold. */
const FIRST_ANALYZE_ROWS = 5_000;

/**
 * PostgreSQL: JSON as jsonb with its operators; lists as one array parameter (`= any($1)`: one plan for any
 * length); new endpoints of an import COPYed; other bulk writes as one `insert ... select from unnest(...)` per
 * batch, one array parameter per column.
 */
export function postgresAudienceSql(): AudienceSql {
  let sinceAnalyze = 0;
  let analyzeAt = FIRST_ANALYZE_ROWS;
  return {
    inList(column, values) {
      const target = typeof column === 'string' ? sql.ref(column) : column;
      return sql<boolean>`${target} = any(${[...values]}::text[])`;
    },

    insertFailsOnDuplicates: true,

    async insertEndpointRows(db: Kysely<Database>, rows: readonly EndpointRow[]) {
      if (rows.length === 0) return;
      const arrays = COLUMNS.map(([column, type]) => sql`${rows.map((r) => r[column])}::${sql.raw(type)}[]`);
      await sql`insert into endpoints (${sql.join(COLUMNS.map(([c]) => sql.ref(c)))})
        select * from unnest(${sql.join(arrays)})`.execute(db);
    },

    // New endpoints are COPYed: rows in COPY's text format cost both sides less than the same rows as one text
    // array per column for unnest (100,000 endpoints in 5,000-row batches: 2.6 s of statements against 4.0 s);
    // keeping the indexes up to date is then most of the write.
    async insertEndpointRecords(db, { appId, at, records, rows, inactive }) {
      if (rows.length === 0) return;
      await db.executeQuery(CompiledQuery.raw(COPY_RECORDS, [copyText(appId, at, records, rows, inactive)]));
    },

    async writeEndpointRows(db: Kysely<Database>, rows: readonly EndpointRow[]) {
      if (rows.length === 0) return;
      const arrays = COLUMNS.map(([column, type]) => sql`${rows.map((r) => r[column])}::${sql.raw(type)}[]`);
      const updates = COLUMNS.filter(([c]) => !KEPT_ON_UPDATE.has(c)).map(
        ([c]) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`,
      );
      await sql`insert into endpoints (${sql.join(COLUMNS.map(([c]) => sql.ref(c)))})
        select * from unnest(${sql.join(arrays)})
        on conflict (app_id, id) do update set ${sql.join(updates)}`.execute(db);
    },

    json: (value) => (value === null ? null : JSON.stringify(value)),

    inApp: (appId, afterId) =>
      afterId === undefined
        ? sql<SqlBool>`e.app_id = ${appId}`
        : sql<SqlBool>`(e.app_id = ${appId} and e.id > ${afterId})`,

    listHasAny(column: ListColumn, name, values) {
      return sql<boolean>`coalesce((${sql.ref(`e.${column}`)} -> ${name}::text) ?| ${[...values]}::text[], false)`;
    },

    listContainsAny(column: ListColumn, name, needles) {
      const any = sql.join(
        needles.map((n) => sql`strpos(v.x, ${n}::text) > 0`),
        sql` or `,
      );
      return sql<boolean>`exists (select 1 from jsonb_array_elements_text(case when jsonb_typeof(${sql.ref(`e.${column}`)} -> ${name}::text) = 'array' then ${sql.ref(`e.${column}`)} -> ${name}::text end) v(x) where ${any})`;
    },

    timesWithin(column: TimesColumn, name, bounds: TimeBounds) {
      const parts = [];
      if (bounds.gt !== undefined) parts.push(sql`v.x::double precision > ${bounds.gt}`);
      if (bounds.gte !== undefined) parts.push(sql`v.x::double precision >= ${bounds.gte}`);
      if (bounds.lt !== undefined) parts.push(sql`v.x::double precision < ${bounds.lt}`);
      if (bounds.lte !== undefined) parts.push(sql`v.x::double precision <= ${bounds.lte}`);
      const where = parts.length > 0 ? sql.join(parts, sql` and `) : sql`true`;
      return sql<boolean>`exists (select 1 from jsonb_array_elements_text(case when jsonb_typeof(${sql.ref(`e.${column}`)} -> ${name}::text) = 'array' then ${sql.ref(`e.${column}`)} -> ${name}::text end) v(x) where ${where})`;
    },

    metric(name) {
      return sql<number | null>`(e.metrics ->> ${name}::text)::double precision`;
    },

    async beginBulk(trx) {
      await sql`set local synchronous_commit to off`.execute(trx);
    },

    // A table filled by one bulk load has no statistics until autovacuum gets to it (a minute or more), and
    // meanwhile the planner scans a whole app for lookups by id. Refresh them as the table grows.
    async afterBulkWrite(db, rows) {
      sinceAnalyze += rows;
      if (sinceAnalyze < analyzeAt) return;
      await sql`analyze endpoints`.execute(db);
      analyzeAt = Math.max(FIRST_ANALYZE_ROWS, sinceAnalyze * 9);
      sinceAnalyze = 0;
    },
  };
}

/**
 * The rows `rows` of `records` in COPY's text format, in `COPY_RECORDS`' column order: tab-separated, `\N` for
 * null, backslash, tab and line breaks escaped. Numbers are written as JavaScript prints them, which PostgreSQL
 * reads back exactly.
 */
function copyText(
  appId: string,
  at: number,
  records: readonly RecordValue[],
  rows: readonly number[],
  inactive: ReadonlySet<number>,
): string {
  const head = `${copyValue(appId)}\t`;
  const tail = `\t${at}\t${at}\n`;
  let out = '';
  for (const row of rows) {
    const base = row * RECORD_WIDTH;
    let line = head;
    for (let f = 0; f < RECORD_WIDTH; f++) {
      if (f > 0) line += '\t';
      line += f === RECORD_AT.active && inactive.has(row) ? '0' : copyValue(records[base + f] ?? null);
    }
    out += line + tail;
  }
  return out;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

function copyValue(value: RecordValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string) : value;
}
