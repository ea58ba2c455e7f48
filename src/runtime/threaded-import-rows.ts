import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImportBatch, ImportRowReader } from '../app/imports/import-rows.js';
import { type ErrorCode, HeraldError } from '../domain/errors.js';

/** Batches waiting for the writer before the file stops being read. */
const MAX_QUEUED_BATCHES = 2;

type WorkerMessage =
  | { type: 'batch'; batch: ImportBatch }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'done' }
  | { type: 'fatal'; message: string; code?: ErrorCode; field?: string };

/**
 * Reads an import's rows in a worker thread: this thread streams the file's bytes to it and takes checked rows
 * back, so parsing and validating the next rows (most of an import's CPU) runs beside the database writes of the
 * current batch. Both sides hold back: the file pauses while the worker has a backlog of bytes or this thread a
 * backlog of rows. The worker ends with the import (or when the reader is closed early).
 *
 * @example
 * const runner = new ImportRunner({ ...deps, readRows: threadedImportRows() });
 */
export function threadedImportRows(): ImportRowReader {
  return async function* (job, source: Readable, read) {
    const worker = startWorker(job);
    let queue: ImportBatch[] = [];
    let done = false;
    let failure: unknown;
    let workerFull = false;
    let wake: (() => void) | undefined;
    const flow = () => {
      if (workerFull || queue.length >= MAX_QUEUED_BATCHES) source.pause();
      else source.resume();
    };
    const fail = (error: unknown) => {
      failure ??= error;
      wake?.();
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'batch') queue.push(message.batch);
      else if (message.type === 'pause') workerFull = true;
      else if (message.type === 'resume') workerFull = false;
      else if (message.type === 'done') done = true;
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
      if (!done) fail(new Error(`the import's reader thread stopped (exit code ${code})`));
    });
    source.on('data', (chunk: Buffer) => {
      read.bytes += chunk.length;
      worker.postMessage({ type: 'chunk', data: chunk });
    });
    source.on('end', () => worker.postMessage({ type: 'end' }));
    source.on('error', fail);
    try {
      for (;;) {
        if (queue.length > 0) {
          const batches = queue;
          queue = [];
          flow();
          for (const batch of batches) yield batch;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      source.destroy();
      await worker.terminate();
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
