import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { isHeraldError } from '../../domain/errors.js';
import { connectSqlite } from './connect.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CONNECT = pathToFileURL(path.join(import.meta.dirname, 'connect.ts')).href;

// Each process adds one to a counter, many times, reading it first in the same transaction and yielding to the
// event loop between the read and the write: the other process commits in that gap.
const incrementer = (file: string, times: number, startAt: number) => `
import { sql } from 'kysely';
const { connectSqlite } = await import(${JSON.stringify(CONNECT)});
const handle = connectSqlite(${JSON.stringify(file)});
// Both start together, whatever each one's start-up took.
while (Date.now() < ${startAt}) await new Promise((resolve) => setTimeout(resolve, 1));
for (let i = 0; i < ${times}; i++) {
  await handle.db.transaction().execute(async (tx) => {
    const { rows } = await sql\`select n from counter\`.execute(tx);
    await new Promise((resolve) => setImmediate(resolve));
    await sql\`update counter set n = \${rows[0].n + 1}\`.execute(tx);
  });
}
await handle.close();
`;

describe('SQLite transactions from several processes', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('wait for each other instead of failing, and lose no update', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-sqlite-'));
    const file = path.join(dir, 'herald.db');
    const setup = new SQLite(file);
    setup.pragma('journal_mode = WAL');
    setup.exec('create table counter (n integer not null); insert into counter values (0);');
    setup.close();

    const run = promisify(execFile);
    const times = 300;
    const script = incrementer(file, times, Date.now() + 3_000);
    await Promise.all(
      [1, 2].map(() =>
        run(process.execPath, ['--import', TSX, '--input-type=module', '--eval', script], { cwd: ROOT }),
      ),
    );

    const check = new SQLite(file, { readonly: true });
    expect(check.prepare('select n from counter').get()).toEqual({ n: 2 * times });
    check.close();
  }, 60_000);
});

describe('a SQLite file another process keeps locked', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails a write with HERALD_UNAVAILABLE once the busy timeout runs out, and serves it after', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-sqlite-'));
    const file = path.join(dir, 'herald.db');
    const handle = connectSqlite(file);
    await sql`create table t (n integer)`.execute(handle.db);
    await sql`pragma busy_timeout = 50`.execute(handle.db);
    const other = new SQLite(file);
    other.exec('begin immediate');
    try {
      const write = sql`insert into t values (1)`.execute(handle.db);
      const error = await write.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isHeraldError(error) && [error.code, error.status, error.message]).toEqual([
        'HERALD_UNAVAILABLE',
        503,
        'the database is locked by another process; try again shortly',
      ]);
      // In a transaction too: `begin immediate` is what waits for the lock.
      const inTransaction = await handle.db
        .transaction()
        .execute((trx) => sql`insert into t values (2)`.execute(trx))
        .catch((e: unknown) => e);
      expect(isHeraldError(inTransaction) && inTransaction.code).toBe('HERALD_UNAVAILABLE');
    } finally {
      other.exec('rollback');
      other.close();
    }
    await sql`insert into t values (3)`.execute(handle.db);
    expect((await sql<{ n: number }>`select n from t`.execute(handle.db)).rows).toEqual([{ n: 3 }]);
    await handle.close();
  });
});
