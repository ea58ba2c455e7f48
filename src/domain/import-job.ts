/**
 * An import of endpoints from a CSV or NDJSON file in Pinpoint's import format. The upload is spooled to the data
 * directory, then processed in batches; `rowsRead` is the resume point after a restart.
 *
 * @example
 * const job: ImportJob = { id, appId, format: 'CSV', status: 'PROCESSING', processed: 1000, failed: 2, ... };
 */
export interface ImportJob {
  readonly appId: string;
  readonly id: string;
  readonly format: ImportFormat;
  readonly status: ImportStatus;
  /** The IMPORT segment the written endpoints join (`defineSegment`). */
  readonly segmentId?: string;
  readonly segmentName?: string;
  readonly sizeBytes: number;
  /** Bytes of the file consumed so far (for progress; approximate to a read chunk). */
  readonly bytesRead: number;
  /** The last line of the file whose row is settled (written or reported); processing resumes after it. */
  readonly rowsRead: number;
  /** Rows written. */
  readonly processed: number;
  /** Rows reported and skipped. */
  readonly failed: number;
  /** The first `MAX_IMPORT_ERRORS` row errors. */
  readonly errors: readonly ImportRowError[];
  /** Why the whole import failed (status FAILED). */
  readonly failureReason?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly completedAt?: number;
}

export type ImportFormat = 'CSV' | 'JSON';
export type ImportStatus = 'CREATED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

/** `row` is the line of the file (a CSV header is line 1). */
export interface ImportRowError {
  readonly row: number;
  readonly field?: string;
  readonly reason: string;
}

export const MAX_IMPORT_ERRORS = 100;
