/**
 * Worker-thread entry of `runtime/threaded-import-rows.ts`: reads and checks an import file's rows (CSV parsing,
 * phone numbers, quotas per endpoint) off the main thread, which meanwhile writes the previous batch.
 *
 * Messages in: `{type: 'chunk', data}` file bytes, `{type: 'end'}`. Out: `{type: 'batch', batch}`,
 * `{type: 'pause' | 'resume'}` (its input backlog), `{type: 'done'}`, `{type: 'fatal', code?, field?, message}`.
 */
import { PassThrough } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { isHeraldError } from '../../domain/errors.js';
import { type ImportRowReader, readImportRows } from './import-rows.js';

const BACKLOG_BYTES = 4 * 1024 * 1024;

const port = parentPort;
if (!port) throw new Error('import-rows-worker runs in a worker thread');
const job = workerData as Parameters<ImportRowReader>[0];
const input = new PassThrough({ highWaterMark: BACKLOG_BYTES });
let paused = false;

port.on('message', (message: { type: 'chunk'; data: Uint8Array } | { type: 'end' }) => {
  if (message.type === 'end') {
    input.end();
    return;
  }
  if (
    !input.write(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength)) &&
    !paused
  ) {
    paused = true;
    port.postMessage({ type: 'pause' });
  }
});
input.on('drain', () => {
  if (paused) {
    paused = false;
    port.postMessage({ type: 'resume' });
  }
});

try {
  // A batch is mostly flat lists of strings and numbers (records; the patches as one JSON text): cheap to clone
  // for the writer's thread, where an object per row cost more to receive than to write.
  for await (const batch of readImportRows(job, input, { bytes: 0 }))
    port.postMessage({ type: 'batch', batch });
  port.postMessage({ type: 'done' });
} catch (error) {
  port.postMessage({
    type: 'fatal',
    message: error instanceof Error ? error.message : String(error),
    ...(isHeraldError(error) ? { code: error.code, ...(error.field ? { field: error.field } : {}) } : {}),
  });
}
