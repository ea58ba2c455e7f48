import { type Migration, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { DatabaseHandle } from './database.js';
import { columnTypes } from './migrations/column-types.js';
import type { HeraldMigration } from './migrations/herald-migration.js';
import { MIGRATIONS } from './migrations/index.js';

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely takes a lock (an advisory
 * lock on PostgreSQL, a lock table on SQLite) around the run.
 */
export async function migrateToLatest(
  handle: DatabaseHandle,
  migrations: readonly HeraldMigration[] = MIGRATIONS,
): Promise<MigrationResultSet> {
  const context = { dialect: handle.dialect, types: columnTypes(handle.dialect) };
  const record: Record<string, Migration> = {};
  for (const migration of migrations) {
    record[migration.name] = { up: (db) => migration.up(db, context) };
  }
  // Kysely looks for its migration tables in every schema; name ours, or a database holding other Herald
  // schemas (tests run side by side in one database) would seem migrated already.
  const schema =
    handle.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => record },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, {
      cause: result.error,
    });
  }
  return result;
}
