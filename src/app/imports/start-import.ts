import type { Readable } from 'node:stream';
import Papa from 'papaparse';
import { HeraldError } from '../../domain/errors.js';
import type { ImportFormat, ImportJob } from '../../domain/import-job.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { ImportSpool } from '../../ports/import-spool.js';
import type { ImportStore } from '../../ports/import-store.js';
import type { SegmentStore } from '../../ports/segment-store.js';
import { createImportSegment } from '../segments/save-segment.js';
import type { ImportRunner } from './import-runner.js';
import { planCsvHeader } from './pinpoint-csv.js';

/**
 * What accepting an upload needs.
 *
 * @example
 * await startImport({ imports, segments, spool, runner, ids, clock, limitBytes, leaseMs }, appId, { format: 'CSV', source: request.raw });
 */
export interface StartImportDeps {
  readonly imports: ImportStore;
  readonly segments: SegmentStore;
  readonly spool: ImportSpool;
  readonly runner: Pick<ImportRunner, 'enqueue'>;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly limitBytes: number;
  readonly leaseMs: number;
}

/** The longest CSV header read to check the columns before accepting an upload. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Accepts an upload: streams it to the spool (413 over the limit, nothing kept), checks a CSV's header (400 naming
 * the bad column, nothing kept), creates the IMPORT segment when `defineSegment` is given, records the job with
 * this process's lease, and queues it. The rows are processed after the answer.
 */
export async function startImport(
  deps: StartImportDeps,
  appId: string,
  input: { format: ImportFormat; source: Readable; defineSegment?: string },
): Promise<ImportJob> {
  const id = deps.ids.next();
  const sizeBytes = await deps.spool.write(id, input.source, { limitBytes: deps.limitBytes });
  try {
    if (input.format === 'CSV') {
      planCsvHeader(readHeader(await deps.spool.firstLine(id, MAX_HEADER_BYTES)));
    }
    const segment = input.defineSegment
      ? await createImportSegment(deps, appId, { name: input.defineSegment, importId: id })
      : undefined;
    const now = deps.clock.now();
    const job: ImportJob = {
      appId,
      id,
      format: input.format,
      status: 'CREATED',
      ...(segment ? { segmentId: segment.id, segmentName: segment.name } : {}),
      sizeBytes,
      bytesRead: 0,
      rowsRead: 0,
      processed: 0,
      failed: 0,
      errors: [],
      createdAt: now,
      updatedAt: now,
    };
    await deps.imports.create(job, { leaseUntil: now + deps.leaseMs });
    deps.runner.enqueue(job);
    return job;
  } catch (error) {
    await deps.spool.remove(id);
    throw error;
  }
}

function readHeader(line: string): string[] {
  const parsed = Papa.parse<string[]>(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line, {
    delimiter: ',',
  });
  const problem = parsed.errors[0];
  if (problem) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `header: not valid CSV (${problem.message})`, {
      field: 'header',
    });
  }
  return parsed.data[0] ?? [];
}
