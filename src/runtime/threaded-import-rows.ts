import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImportBatch, ImportRowReader } from '../app/imports/import-rows.js';
import { type ErrorCode, HeraldError } from '../domain/errors.js';

/** Batches waiting for the writer (across the readers) before the file stops being read. */
const MAX_QUEUED_BATCHES = 4;

type WorkerMessage =
  | { type: 'batch'; batch: ImportBatch }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'done' }
  | { type: 'fatal'; message: string; code?: ErrorCode; field?: string };

/**
 * Reads an import's rows in worker threads: this thread streams the file's bytes to them and takes checked
 * batches back, so parsing and validating the next rows (most of an import's CPU) runs beside the database writes
 * of the current batch. Checking a row (phone numbers above all) costs about twice what writing it does, so
 * `readers` threads (two by default, fewer on a machine with fewer cores) share the batches: each parses the
 * whole file and checks every `readers`-th batch, and batches are handed on in file order. Both sides hold back:
 * the file pauses while a reader has a backlog of bytes or this thread a backlog of batches. The workers end
 * with the import (or when the reader is closed early).
 *
 * Never deadlocks on its own backlog: a queued batch means its bytes, and so those of every earlier batch, went
 * to every reader, so the batch this thread waits for can always be finished without more of the file.
 *
 * @example
 * const runner = new ImportRunner({ ...deps, readRows: threadedImportRows() });
 */
export function threadedImportRows(readers = Math.min(2, availableParallelism())): ImportRowReader {
  return async function* (job, source: Readable, read) {
    const workers = Array.from({ length: readers }, (_, index) =>
      startWorker({ ...job, share: { index, of: readers } }),
    );
    const queues: ImportBatch[][] = workers.map(() => []);
    const done = workers.map(() => false);
    const full = workers.map(() => false);
    let queued = 0;
    let turn = 0;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const flow = () => {
      if (full.includes(true) || queued >= MAX_QUEUED_BATCHES) source.pause();
      else source.resume();
    };
    const fail = (error: unknown) => {
      failure ??= error;
      wake?.();
    };
    workers.forEach((worker, i) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'batch') {
          (queues[i] as ImportBatch[]).push(message.batch);
          queued++;
        } else if (message.type === 'pause') full[i] = true;
        else if (message.type === 'resume') full[i] = false;
        else if (message.type === 'done') done[i] = true;
        else
          fail(
            message.code
              ? new HeraldError(message.code, message.message, message.field ? { field: message.field } : {})
              : new Error(message.message),
          );
        flow();
        wake?.();
      });
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!done[i]) fail(new Error(`the import's reader thread stopped (exit code ${code})`));
      });
    });
    source.on('data', (chunk: Buffer) => {
      read.bytes += chunk.length;
      for (const worker of workers) worker.postMessage({ type: 'chunk', data: chunk });
    });
    source.on('end', () => {
      for (const worker of workers) worker.postMessage({ type: 'end' });
    });
    source.on('error', fail);
    try {
      for (;;) {
        const next = (queues[turn] as ImportBatch[]).shift();
        if (next) {
          queued--;
          turn = (turn + 1) % workers.length;
          flow();
          yield next;
          continue;
        }
        if (failure) throw failure;
        // Batches are numbered without gaps: when the reader whose turn it is has none left, nobody has.
        if (done.every(Boolean)) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      source.destroy();
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  };
}

/**
 * Starts the worker on the compiled entry, or, when Herald runs from its TypeScript sources (tsx, vitest), on
 * the source entry with tsx's loader registered in the new thread first.
 */
function startWorker(job: Parameters<ImportRowReader>[0]): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`../app/imports/import-rows-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url)
    .href;
  // Resolved here: the eval'd worker would resolve 'tsx' from the working directory, not from Herald's.
  const tsxApi = fromSource ? tsxEsmApi() : '';
  const code = fromSource
    ? `(async () => { (await import(${JSON.stringify(tsxApi)})).register(); await import(${JSON.stringify(entry)}); })();`
    : `import(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true, workerData: job });
}

/** tsx's ESM API (a dev dependency, there whenever Herald runs from its sources), as a file URL. */
function tsxEsmApi(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  // Module runners that leave out import.meta.resolve (vitest): read the package's export map.
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: { './esm/api': { import: { default: string } } };
  };
  return pathToFileURL(path.join(path.dirname(manifest), exports.exports['./esm/api'].import.default)).href;
}
