import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import type { DatabaseConfig } from '../../src/config/load-config.js';
import type { DatabaseHandle, DialectName } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { connectPostgres, quoteIdent } from '../../src/storage/postgres/connect.js';
import { connectSqlite } from '../../src/storage/sqlite/connect.js';

export const TEST_DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const TEST_POSTGRES_URL =
  process.env.HERALD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A migrated database of its own: a temporary SQLite file, or a fresh PostgreSQL schema. */
export interface TestDatabase extends DatabaseHandle {
  /** How another process (a worker under test) reaches the same database. */
  readonly config: DatabaseConfig;
  /** For PostgreSQL, the schema, which a second process passes as its search_path. */
  readonly schema: string | undefined;
  /** Closes the connection and removes the file or schema. */
  destroy(): Promise<void>;
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-test-'));
    const file = path.join(dir, `${name}.db`);
    const handle = connectSqlite(file);
    await migrateToLatest(handle);
    return {
      ...handle,
      config: { kind: 'sqlite', url: `sqlite:${file}`, path: file },
      schema: undefined,
      destroy: async () => {
        await handle.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const handle = await connectPostgres(TEST_POSTGRES_URL, { schema: name, maxConnections: 5 });
  await migrateToLatest(handle);
  return {
    ...handle,
    config: { kind: 'postgres', url: withSearchPath(TEST_POSTGRES_URL, name) },
    schema: name,
    destroy: async () => {
      await handle.close();
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A PostgreSQL URL whose connections use the given schema (libpq's `options` parameter). */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/**
 * Runs a suite once per database. `db()` is a fresh, migrated database: per test by default, or per suite with
 * `{ scope: 'suite' }` when the tests isolate themselves (each in its own app).
 *
 * @example
 * describeEachDatabase('app store', (db) => {
 *   it('creates an app', async () => { await new KyselyAppStore(db().db).create(...); });
 * });
 */
export function describeEachDatabase(
  name: string,
  suite: (db: () => TestDatabase, dialect: DialectName) => void,
  options: { scope?: 'test' | 'suite' } = {},
): void {
  for (const dialect of TEST_DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      let current: TestDatabase | undefined;
      const setUp = async () => {
        current = await createTestDatabase(dialect);
      };
      const tearDown = async () => {
        await current?.destroy();
        current = undefined;
      };
      if (options.scope === 'suite') {
        beforeAll(setUp);
        afterAll(tearDown);
      } else {
        beforeEach(setUp);
        afterEach(tearDown);
      }
      suite(() => {
        if (!current) throw new Error('the test database is only available inside a test');
        return current;
      }, dialect);
    });
  }
}
