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
    connectionTimeoutMillis: connectTimeoutMs(url),
    // A server that vanished without a word (a partition, a failed-over address) is noticed on an idle connection
    // by TCP keepalives instead of at the next query's wait.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
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

/** Used when the URL sets no `connect_timeout`. */
const DEFAULT_CONNECT_TIMEOUT_S = 10;

/**
 * How long a query waits for a connection: to open one (a server that does not answer: down, partitioned, failing
 * over), or for one of the pool's to be free. The URL's `connect_timeout` in seconds (libpq's parameter), else 10;
 * 0 waits without limit, as pg does by default. Past it the request is 503 HERALD_UNAVAILABLE instead of hanging
 * until the operating system gives up on the connection (minutes).
 *
 * @example
 * connectTimeoutMs('postgres://herald@db:5432/herald?connect_timeout=3'); // 3000
 */
export function connectTimeoutMs(url: string): number {
  const given = new URL(url).searchParams.get('connect_timeout');
  const seconds = given === null || given.trim() === '' ? DEFAULT_CONNECT_TIMEOUT_S : Number(given);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Error(
      `connect_timeout in the database URL must be a number of seconds, not ${JSON.stringify(given)}`,
    );
  return Math.round(seconds * 1000);
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
