import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database, DatabaseHandle } from '../database.js';
import { withStatementCache } from './statement-cache.js';

/**
 * Opens a SQLite file in WAL mode. One connection: better-sqlite3 is synchronous, and SQLite admits one writer
 * at a time anyway; Kysely queues queries on it.
 */
export function connectSqlite(file: string): DatabaseHandle {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only a power loss can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  // 16 MiB: the hot pages (the queue's indexes, the tail of the ledger) fit; a scan of a million endpoints does not
  // fit in any sensible cache and is served by the OS page cache anyway. 64 MiB measured slower for a 300k fan-out
  // and cost 50 MB of resident memory.
  sqlite.pragma('cache_size = -16384');
  sqlite.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    close: () => db.destroy(),
  };
}
