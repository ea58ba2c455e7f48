import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { shapedStatement } from './shaped-statement.js';

/**
 * Kysely's SQLite driver prepares every query anew. Preparing costs as much as running for the wide multi-row
 * statements of bulk endpoint writes (half of the import time at 1M rows), so this keeps the most recently used
 * statements by SQL text. A statement still being iterated (a streamed query) is never handed out twice.
 *
 * @example
 * new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
 */
export function withStatementCache(sqlite: Database, capacity = 200): SqliteDatabase {
  const cache = new Map<string, Cached>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (sql: string) => {
      const cached = cache.get(sql);
      if (cached && !cached.statement.busy) {
        // Re-inserting keeps the map in least-recently-used order.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached.shaped;
      }
      const statement = sqlite.prepare(sql);
      const shaped = shapedStatement(statement);
      if (!cached) {
        cache.set(sql, { statement, shaped });
        if (cache.size > capacity) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      return shaped;
    },
  };
}

interface Cached {
  readonly statement: Statement;
  readonly shaped: SqliteStatement;
}
