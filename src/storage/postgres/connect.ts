import { Kysely } from 'kysely';
import pg from 'pg';
import type { Database, DatabaseHandle } from '../database.js';
import { copyingPool } from './copying-pool.js';
import { SearchPathPostgresDialect } from './search-path-introspector.js';
import { reportingUnavailable } from './unavailable-pool.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export interface PostgresOptions {
  /** Schema to use (and create) instead of `public`; tests run each in their own. */
  schema?: string;
  maxConnections?: number;
  /**
   * An idle connection failed (the server restarted, a pooler or firewall closed it). pg drops it from the pool and
   * the next query opens a new one; without a listener the pool's 'error' event would end the process.
   */
  onError?: (error: Error) => void;
}

/**
 * Opens a pg pool. Times are stored as `bigint` milliseconds; pg hands int8 back as a string by default, so this
 * pool (and only this pool) parses it as a number.
 */
export async function connectPostgres(url: string, options: PostgresOptions = {}): Promise<DatabaseHandle> {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  if (options.schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    types,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  pool.on('error', (error) => options.onError?.(error));
  // A connection the pool has handed out (between two queries of a transaction, say) hears its server go away as an
  // 'error' event, and pg-pool listens only to idle ones: unheard, that event ended the process when PostgreSQL
  // restarted or failed over. Its next query fails instead (HERALD_UNAVAILABLE) and the pool drops it.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({
    dialect: new SearchPathPostgresDialect({ pool: reportingUnavailable(copyingPool(pool)) }),
  });
  return {
    db,
    dialect: 'postgres',
    close: () => db.destroy(),
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
