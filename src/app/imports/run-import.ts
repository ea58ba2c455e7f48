import type { ChannelType } from '../../domain/channel-type.js';
import type { EndpointPatch } from '../../domain/endpoint-patch.js';
import { isHeraldError } from '../../domain/errors.js';
import { type ImportJob, type ImportRowError, MAX_IMPORT_ERRORS } from '../../domain/import-job.js';
import type { Clock } from '../../ports/clock.js';
import type { EndpointStore, RejectedPatch } from '../../ports/endpoint-store.js';
import type { ImportSpool } from '../../ports/import-spool.js';
import type { ImportStore } from '../../ports/import-store.js';
import type { Logger } from '../../ports/logger.js';
import type { SegmentStore } from '../../ports/segment-store.js';
import { validateEndpointInput } from '../endpoints/endpoint-input.js';
import { type ImportBatch, type ImportRowReader, readImportRows } from './import-rows.js';
import { pinpointPath } from './pinpoint-csv.js';

/**
 * What processing an import needs.
 *
 * @example
 * await runImport({ imports, endpoints, segments, spool, clock, logger, leaseMs: 60_000 }, job, () => stopping);
 */
export interface RunImportDeps {
  readonly imports: ImportStore;
  readonly endpoints: EndpointStore;
  readonly segments: SegmentStore;
  readonly spool: ImportSpool;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a lease lasts; renewed after every batch. */
  readonly leaseMs: number;
  /** Rows per transaction. */
  readonly batchSize?: number;
  /** Reads and checks the file's rows (in this thread by default; `main.ts` hands in a worker thread). */
  readonly readRows?: ImportRowReader;
}

const DEFAULT_BATCH_SIZE = 5000;

/**
 * Writes a batch with rows that leave out their channel type or address the general way, in file order: each such
 * row is checked against its endpoint as the rows above it in the batch leave it (else as stored), then every patch
 * of the batch is upserted in one call, in line order. (Appending them after the batch's whole rows let a later
 * partial row lose to an earlier whole one, and let a partial row above an endpoint's first row update it.) The
 * partial rows' problems go to `rowErrors`; `lines` gives each patch's line.
 */
async function writeWithPartial(
  deps: RunImportDeps,
  appId: string,
  batch: ImportBatch,
  rowErrors: ImportRowError[],
): Promise<{ written: readonly string[]; rejected: readonly RejectedPatch[]; lines: readonly number[] }> {
  const whole = JSON.parse(batch.endpoints.patches) as EndpointPatch[];
  const ids = [...new Set(batch.partial.map((p) => p.input.id))];
  const known = new Map<string, { channelType?: ChannelType; address?: string }>(
    (await deps.endpoints.getMany(appId, ids)).map((e) => [
      e.id,
      { channelType: e.channelType, address: e.address },
    ]),
  );
  const learn = (patch: EndpointPatch) => {
    const before = known.get(patch.id);
    const channelType = patch.channelType ?? before?.channelType;
    const address = patch.address ?? before?.address;
    known.set(patch.id, {
      ...(channelType !== undefined ? { channelType } : {}),
      ...(address !== undefined ? { address } : {}),
    });
  };
  const patches: EndpointPatch[] = [];
  const lines: number[] = [];
  let w = 0;
  for (const { line, input } of batch.partial) {
    for (; w < whole.length && (batch.lines[w] as number) < line; w++) {
      const patch = whole[w] as EndpointPatch;
      learn(patch);
      patches.push(patch);
      lines.push(batch.lines[w] as number);
    }
    const checked = validateEndpointInput(input, known.get(input.id) ?? {});
    if ('patch' in checked) {
      learn(checked.patch);
      patches.push(checked.patch);
      lines.push(line);
    } else {
      for (const issue of checked.issues)
        rowErrors.push({ row: line, field: pinpointPath(issue.field), reason: issue.reason });
    }
  }
  for (; w < whole.length; w++) {
    patches.push(whole[w] as EndpointPatch);
    lines.push(batch.lines[w] as number);
  }
  if (patches.length === 0) return { written: [], rejected: [], lines };
  const outcome = await deps.endpoints.upsert(appId, patches, {
    at: deps.clock.now(),
    mode: 'skip-rejected',
    bulk: true,
  });
  return { written: outcome.written.map((e) => e.id), rejected: outcome.rejected, lines };
}

/**
 * Processes one import from its spooled file, from the line after `job.rowsRead`: rows are read and validated
 * while the previous batch is being written (the file is streamed, never held whole); each batch is one
 * transaction, then the job's progress (resume point, counts, first errors) is recorded. A batch re-applied
 * after a crash between the two writes the same endpoints again (rows without an Id get `<importId>-<line>`),
 * so a resumed import ends in the same state as an uninterrupted one.
 *
 * Resolves `stopped` when `shouldStop()` turned true between batches (the job stays resumable), `finished`
 * otherwise (COMPLETED, or FAILED with the reason when the file could not be read).
 */
export async function runImport(
  deps: RunImportDeps,
  job: ImportJob,
  shouldStop: () => boolean,
): Promise<'finished' | 'stopped'> {
  const log = deps.logger.child({ appId: job.appId, importId: job.id });
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  const state = {
    processed: job.processed,
    failed: job.failed,
    errors: [...job.errors],
    rowsRead: job.rowsRead,
  };
  const file = deps.spool.read(job.id);
  const read = { bytes: 0 };
  let writing: Promise<void> = Promise.resolve();
  let stopped = false;

  const settle = async (batch: ImportBatch): Promise<void> => {
    const rowErrors = [...batch.errors];
    const { written, rejected, lines } =
      batch.partial.length === 0
        ? {
            ...(await deps.endpoints.importBatch(job.appId, batch.endpoints, { at: deps.clock.now() })),
            lines: batch.lines,
          }
        : await writeWithPartial(deps, job.appId, batch, rowErrors);
    for (const r of rejected) {
      rowErrors.push({ row: lines[r.index] as number, field: pinpointPath(r.field), reason: r.reason });
    }
    if (job.segmentId && written.length > 0) {
      await deps.segments.addMembers(job.appId, job.segmentId, written);
    }
    if (written.length > 0) await deps.endpoints.afterBulkWrite?.(written.length);
    rowErrors.sort((a, b) => a.row - b.row);
    // Rows, not endpoints: two rows for one id both count.
    state.processed += lines.length - rejected.length;
    state.failed += new Set(rowErrors.map((e) => e.row)).size;
    const room = MAX_IMPORT_ERRORS - state.errors.length;
    const errorsChanged = room > 0 && rowErrors.length > 0;
    if (errorsChanged) state.errors.push(...rowErrors.slice(0, room));
    state.rowsRead = batch.lastLine;
    const now = deps.clock.now();
    await deps.imports.recordProgress(
      job.appId,
      job.id,
      {
        rowsRead: state.rowsRead,
        bytesRead: Math.min(read.bytes, job.sizeBytes),
        processed: state.processed,
        failed: state.failed,
        ...(errorsChanged ? { errors: state.errors } : {}),
      },
      { now, leaseUntil: now + deps.leaseMs },
    );
  };

  try {
    const batches = (deps.readRows ?? readImportRows)(
      { importId: job.id, format: job.format, fromLine: job.rowsRead, batchSize },
      file,
      read,
    );
    for await (const batch of batches) {
      // Reading and checking the next rows overlaps this batch's write; writes stay in file order.
      await writing;
      writing = settle(batch);
      writing.catch(() => {});
      if (shouldStop()) {
        stopped = true;
        break;
      }
    }
    await writing;
  } catch (error) {
    file.destroy();
    await writing.catch(() => {});
    const reason = isHeraldError(error)
      ? error.message
      : `the import stopped on an unexpected error: ${String((error as Error).message ?? error)}`;
    // A 5xx (the database unavailable) is the operator's to hear, not only the import's reason.
    if (!isHeraldError(error) || error.status >= 500) log.error({ err: error }, 'import failed');
    await deps.imports.finish(job.appId, job.id, {
      status: 'FAILED',
      failureReason: reason,
      at: deps.clock.now(),
    });
    await deps.spool.remove(job.id);
    return 'finished';
  }
  file.destroy();
  if (stopped) {
    await deps.imports.release(job.appId, job.id, deps.clock.now());
    return 'stopped';
  }
  await deps.imports.finish(job.appId, job.id, { status: 'COMPLETED', at: deps.clock.now() });
  await deps.spool.remove(job.id);
  log.info({ processed: state.processed, failed: state.failed }, 'import completed');
  return 'finished';
}
