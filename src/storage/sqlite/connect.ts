import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Database, DatabaseHandle } from '../database.js';
import { ImmediateSqliteDialect } from './immediate-sqlite-dialect.js';
import { withStatementCache } from './statement-cache.js';

/**
 * Opens a SQLite file in WAL mode. One connection: better-sqlite3 is synchronous, and SQLite admits one writer
 * at a time anyway; Kysely queues queries on it. Other connections to the same file (the CLI's, another
 * process's) wait for the write lock under the busy timeout; transactions take it when they begin.
 */
export function connectSqlite(file: string, options: { cacheMb?: number } = {}): DatabaseHandle {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only a power loss can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  // 64 MiB by default: a million-endpoint import and segment estimate measured up to 1.6x slower with 16 MiB,
  // which saves about 50 MB of resident memory (HERALD_SQLITE_CACHE_MB).
  sqlite.pragma(`cache_size = -${Math.round((options.cacheMb ?? 64) * 1024)}`);
  sqlite.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
  });
  return {
    db,
    dialect: 'sqlite',
    close: () => db.destroy(),
  };
}
