import { randomBytes } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL } from '../../../test/helpers/test-database.js';
import type { DatabaseHandle } from '../database.js';
import { connectPostgres, quoteIdent } from './connect.js';
import { preparedStatement } from './copying-pool.js';

describe('the copying pool', () => {
  let handle: DatabaseHandle | undefined;
  let schema: string | undefined;
  afterEach(async () => {
    await handle?.close();
    if (schema) {
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
      await admin.end();
    }
    handle = undefined;
    schema = undefined;
  });
  // One connection: what it prepared is what pg_prepared_statements shows.
  const open = async () => {
    schema = `t_${randomBytes(6).toString('hex')}`;
    handle = await connectPostgres(TEST_POSTGRES_URL, { schema, maxConnections: 1 });
    return handle.db;
  };
  const prepared = async (db: DatabaseHandle['db']) =>
    (
      await db.executeQuery<{ name: string }>(
        CompiledQuery.raw('select name from pg_prepared_statements order by name', []),
      )
    ).rows.map((r) => r.name);

  it('runs a statement marked prepared as a named statement, once prepared per connection', async () => {
    const db = await open();
    const next = preparedStatement('t_next', 'select $1::integer + 1 as n');
    for (const n of [1, 41]) {
      const { rows } = await db.executeQuery<{ n: number }>(CompiledQuery.raw(next, [n]));
      expect(rows).toEqual([{ n: n + 1 }]);
    }
    await db.executeQuery(CompiledQuery.raw('select $1::integer as unmarked', [1]));
    expect(await prepared(db)).toEqual(['t_next']);
  });

  it('refuses a name that is not a word, which would not be recognised as one', () => {
    expect(() => preparedStatement('two words', 'select 1')).toThrow(/name/);
  });
});
