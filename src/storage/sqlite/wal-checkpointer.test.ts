import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { FOREGROUND_CHECKPOINT_PAGES, startWalCheckpointer } from './wal-checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function walDatabase(): { file: string; sqlite: SQLite.Database } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-wal-'));
  dirs.push(dir);
  const file = path.join(dir, 'test.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // The writer never checkpoints on its own within this test: only the background thread can.
  sqlite.pragma(`wal_autocheckpoint = ${FOREGROUND_CHECKPOINT_PAGES}`);
  sqlite.exec('create table t (id integer primary key, body text not null)');
  return { file, sqlite };
}

/** About 1,000 pages of rows, committed on the writing connection. */
function write(sqlite: SQLite.Database, from: number): void {
  const insert = sqlite.prepare('insert into t (id, body) values (?, ?)');
  sqlite.transaction(() => {
    for (let i = from; i < from + 2000; i++) insert.run(i, 'x'.repeat(1500));
  })();
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('startWalCheckpointer', () => {
  it('copies committed pages into the database file from its own thread, and the log starts over', async () => {
    const { file, sqlite } = walDatabase();
    const checkpointer = startWalCheckpointer(file, { intervalMs: 20 });
    try {
      // Only a checkpoint writes the database file in WAL mode: it has every page once the log is copied.
      const copied = () =>
        fs.statSync(file).size ===
        (sqlite.pragma('page_count', { simple: true }) as number) *
          (sqlite.pragma('page_size', { simple: true }) as number);
      const before = fs.statSync(file).size;
      write(sqlite, 0);
      expect(copied()).toBe(false);
      await until(copied);
      expect(fs.statSync(file).size).toBeGreaterThan(before + 2_000_000);
      const walSize = fs.statSync(`${file}-wal`).size;
      // Once the whole log is copied, the next writes reuse it from the start instead of growing it.
      // The checkpoint marks the log copied after its last page and an fsync: give it a few rounds to finish.
      await new Promise((resolve) => setTimeout(resolve, 200));
      write(sqlite, 2000);
      await until(copied);
      await new Promise((resolve) => setTimeout(resolve, 200));
      write(sqlite, 4000);
      expect(fs.statSync(`${file}-wal`).size).toBeLessThanOrEqual(walSize * 1.1);
      expect(sqlite.prepare('select count(*) as n from t').get()).toEqual({ n: 6000 });
    } finally {
      sqlite.close();
      await checkpointer.stop();
    }
  });

  it('closes its connection when stopped, so the last connection to close copies the rest and removes the log', async () => {
    const { file, sqlite } = walDatabase();
    const checkpointer = startWalCheckpointer(file, { intervalMs: 60_000 });
    write(sqlite, 0);
    const before = fs.statSync(file).size;
    sqlite.close();
    await checkpointer.stop();
    expect(fs.statSync(file).size).toBeGreaterThan(before + 2_000_000);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const reopened = new SQLite(file, { readonly: true });
    expect(reopened.prepare('select count(*) as n from t').get()).toEqual({ n: 2000 });
    reopened.close();
  });
});
