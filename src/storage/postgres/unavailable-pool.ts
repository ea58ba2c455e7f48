import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { HeraldError } from '../../domain/errors.js';

// SQLSTATEs that say the server cannot serve the connection now: class 08 (connection exceptions), a server
// shutting down or starting (57P01-57P03), too many connections (53300).
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;
// What pg's client rejects with when its socket goes away mid-query, or when it is used after that, and what pg's
// pool rejects with when no connection could be had within connectionTimeoutMillis.
const CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect)/;
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * A pool whose connection failures are HERALD_UNAVAILABLE (503, retryable): PostgreSQL down, restarting, failing
 * over or out of connections. Without it they reached the API as 500 HERALD_INTERNAL, which clients are told not
 * to retry, and a load balancer reads as a fault of the request. Only failures to connect and connections lost
 * are translated; an error the server answers a statement with (a constraint, a deadlock) is the statement's.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: reportingUnavailable(copyingPool(pool)) }) });
 */
export function reportingUnavailable(pool: PostgresPool): PostgresPool {
  const wrappers = new WeakMap<PostgresPoolClient, PostgresPoolClient>();
  return {
    async connect() {
      let client: PostgresPoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unavailable(error);
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = reportingClient(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function reportingClient(client: PostgresPoolClient): PostgresPoolClient {
  function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query(text: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof text !== 'string') return client.query(text);
    return client.query(text, parameters ?? []).catch((error: unknown) => {
      throw connectionLost(error) ? unavailable(error) : error;
    });
  }
  return { query, release: () => client.release() };
}

/** Whether a query failed because its connection did, not because of the statement. */
export function connectionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || SOCKET_CODES.has(code))) return true;
  return typeof message === 'string' && CONNECTION_LOST.test(message);
}

function unavailable(cause: unknown): HeraldError {
  return new HeraldError('HERALD_UNAVAILABLE', 'the database is unavailable; try again shortly', { cause });
}
