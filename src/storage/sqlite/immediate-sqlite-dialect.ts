import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import { HeraldError } from '../../domain/errors.js';

/**
 * Kysely's SQLite dialect, with write-ready transactions. Kysely begins them with a plain `begin` (deferred): the
 * first read takes a snapshot and the first write then tries to upgrade it. When another connection (a CLI command
 * beside `herald serve`, a `herald worker` on the same file) committed in between, SQLite cannot upgrade that
 * snapshot and fails at once with SQLITE_BUSY_SNAPSHOT, whatever the busy timeout. `begin immediate` takes the
 * write lock first, waiting for it under the busy timeout like a single statement does; with one connection it
 * costs the same. A statement that still finds the file locked when the busy timeout runs out (another process
 * held the write lock that long) is HERALD_UNAVAILABLE, 503 and retryable, rather than an internal error.
 *
 * @example
 * new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  #reporting: DatabaseConnection | undefined;

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    // Kysely's SQLite driver has one connection: wrapped once.
    if (this.#reporting === undefined) {
      this.#reporting = {
        executeQuery: <R>(query: CompiledQuery) => {
          // Kysely's SQLite connection throws at once (better-sqlite3 is synchronous) as often as it rejects.
          try {
            return connection.executeQuery<R>(query).catch(reportBusy);
          } catch (error) {
            return Promise.reject(busyAsUnavailable(error));
          }
        },
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
          connection.streamQuery<R>(query, chunkSize),
      };
    }
    return this.#reporting;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

function reportBusy(error: unknown): never {
  throw busyAsUnavailable(error);
}

function busyAsUnavailable(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')))
    return new HeraldError(
      'HERALD_UNAVAILABLE',
      'the database is locked by another process; try again shortly',
      { cause: error },
    );
  return error;
}
