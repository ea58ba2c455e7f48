import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/**
 * Kysely's SQLite dialect, with write-ready transactions. Kysely begins them with a plain `begin` (deferred): the
 * first read takes a snapshot and the first write then tries to upgrade it. When another connection (a CLI command
 * beside `herald serve`, a `herald worker` on the same file) committed in between, SQLite cannot upgrade that
 * snapshot and fails at once with SQLITE_BUSY_SNAPSHOT, whatever the busy timeout. `begin immediate` takes the
 * write lock first, waiting for it under the busy timeout like a single statement does; with one connection it
 * costs the same.
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
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
