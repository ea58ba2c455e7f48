import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL pages that make the writing connection checkpoint by itself: the safety net for when the background
 * checkpointer falls behind (a long read holding old pages, a stalled disk). About 40 MB of WAL at 4 KiB pages.
 */
export const FOREGROUND_CHECKPOINT_PAGES = 10_000;

/**
 * Copies a SQLite database's write-ahead log back into the database file from a thread of its own.
 *
 * SQLite checkpoints on the connection whose commit crosses `wal_autocheckpoint` (1,000 pages): that commit
 * copies the pages and waits for two fsyncs, holding the event loop for milliseconds. Measured on this
 * project's machine (ext4), checkpoints were two thirds of a commit's time in the delivery loop. Here a second
 * connection runs a PASSIVE checkpoint every `intervalMs` in a worker thread: PASSIVE never waits for or
 * blocks the writer, and once it has copied the whole log the next write starts the log over, so the file stays
 * small. The writing connection keeps `wal_autocheckpoint` at {@link FOREGROUND_CHECKPOINT_PAGES} in case
 * this one cannot keep up.
 *
 * Durability is unchanged: a commit is in the log before it returns, whichever connection copies it later.
 *
 * @example
 * const checkpointer = startWalCheckpointer('./data/herald.db');
 * // ... writes on the main connection ...
 * await checkpointer.stop();
 */
export interface WalCheckpointer {
  /** Closes the thread's connection and ends the thread. */
  stop(): Promise<void>;
}

// CommonJS evaluated in the worker: small enough not to need a module of its own, and so the same under tsx and
// from dist. The driver's path comes in workerData, resolved from Herald's own dependencies.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ error: String(error) }); }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  // The last connection to close checkpoints what is left and removes the log.
  db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(file: string, options: { intervalMs?: number } = {}): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file, intervalMs: options.intervalMs ?? 100 },
  });
  // A failed checkpoint is not fatal: the writing connection's own autocheckpoint still bounds the log.
  worker.on('message', () => {});
  worker.on('error', () => {});
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      await exited;
    },
  };
}
