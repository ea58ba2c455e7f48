import { type RawBuilder, sql } from 'kysely';

export type ValueType = 'text' | 'bigint' | 'integer';

/**
 * `v(col, ...) AS (VALUES (...), (...))` for a `WITH` clause: per-row values for a bulk UPDATE ... FROM v, in SQL
 * both SQLite (3.33+) and PostgreSQL accept. Every value is CAST so PostgreSQL knows the parameter types.
 *
 * @example
 * const v = valuesCte('v', [['id', 'text'], ['pid', 'text']], rows);
 * await sql`WITH ${v} UPDATE messages SET provider_message_id = v.pid FROM v WHERE messages.id = v.id`.execute(db);
 */
export function valuesCte(
  name: string,
  columns: readonly (readonly [string, ValueType])[],
  rows: readonly (readonly unknown[])[],
): RawBuilder<unknown> {
  const tuples = rows.map(
    (row) =>
      sql`(${sql.join(columns.map(([, type], i) => sql`CAST(${row[i] ?? null} AS ${sql.raw(type)})`))})`,
  );
  return sql`${sql.ref(name)}(${sql.join(columns.map(([column]) => sql.ref(column)))}) AS (VALUES ${sql.join(tuples)})`;
}

/** Splits rows into chunks small enough for one statement's parameters on both databases. */
export function chunk<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
