import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL } from '../../../test/helpers/test-database.js';
import type { DatabaseHandle } from '../database.js';
import { connectPostgres, connectTimeoutMs, quoteIdent } from './connect.js';

describe('connectPostgres', () => {
  const opened: { handle: DatabaseHandle; schema: string }[] = [];
  afterEach(async () => {
    for (const { handle, schema } of opened.splice(0)) {
      await handle.close();
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
      await admin.end();
    }
  });

  it('survives an idle connection the server cuts, and opens a new one for the next query', async () => {
    const schema = `c_${randomUUID().slice(0, 8)}`;
    const errors: Error[] = [];
    const handle = await connectPostgres(TEST_POSTGRES_URL, { schema, onError: (e) => errors.push(e) });
    opened.push({ handle, schema });
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db)).rows[0]?.pid;
    expect(pid).toEqual(expect.any(Number));
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    // The pool hears its idle connection fail (an unhandled 'error' event would end the process)...
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toHaveLength(1);
    // ...and the next query gets a connection of its own.
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(handle.db);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("waits 10 s for a connection unless the URL's connect_timeout says otherwise", () => {
    expect(connectTimeoutMs('postgres://h@db:5432/herald')).toBe(10_000);
    expect(connectTimeoutMs('postgres://h@db:5432/herald?connect_timeout=3')).toBe(3_000);
    expect(connectTimeoutMs('postgres://h@db:5432/herald?connect_timeout=0')).toBe(0);
    expect(() => connectTimeoutMs('postgres://h@db:5432/herald?connect_timeout=soon')).toThrow(
      'connect_timeout in the database URL must be a number of seconds, not "soon"',
    );
  });
});
