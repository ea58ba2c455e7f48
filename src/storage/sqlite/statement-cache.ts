import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew. Preparing costs as much as running for the wide multi-row
 * statements of bulk endpoint writes (half of the import time at 1M rows), so this keeps the most recently used
 * statements by SQL text. A statement still being iterated (a streamed query) is never handed out twice.
 *
 * @example
 * new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
 */
export function withStatementCache(sqlite: Database, capacity = 200): SqliteDatabase {
  const cache = new Map<string, Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (sql: string) => {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        // Re-inserting keeps the map in least-recently-used order.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (!cached) {
        cache.set(sql, statement);
        if (cache.size > capacity) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      return statement;
    },
  };
}
