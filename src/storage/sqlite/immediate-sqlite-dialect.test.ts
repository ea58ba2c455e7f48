import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

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
