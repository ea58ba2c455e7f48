import type { DialectName } from '../database.js';

/**
 * Column type names for each dialect. SQLite takes any name and gives it an affinity (`bigint` is INTEGER,
 * `double precision` is REAL), so most names are shared; JSON and bytes differ.
 */
export interface ColumnTypes {
  /** Milliseconds since the epoch, and counters. */
  readonly bigint: 'bigint';
  readonly double: 'double precision';
  readonly text: 'text';
  /** 0 or 1: the same representation on both databases keeps the row mappers dialect-free. */
  readonly bool: 'integer';
  readonly integer: 'integer';
  /** JSON documents: `jsonb` on PostgreSQL (indexable), text on SQLite (read with json_* functions). */
  readonly json: 'jsonb' | 'text';
  readonly bytes: 'bytea' | 'blob';
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  return {
    bigint: 'bigint',
    double: 'double precision',
    text: 'text',
    bool: 'integer',
    integer: 'integer',
    json: dialect === 'postgres' ? 'jsonb' : 'text',
    bytes: dialect === 'postgres' ? 'bytea' : 'blob',
  };
}
