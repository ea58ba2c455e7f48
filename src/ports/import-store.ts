import type { ImportJob, ImportRowError, ImportStatus } from '../domain/import-job.js';

/**
 * What a processed batch changes on its import.
 *
 * @example
 * await imports.recordProgress(appId, id, { rowsRead: 5001, bytesRead: 450_000, processed: 4998, failed: 2 }, lease);
 */
export interface ImportProgress {
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly processed: number;
  readonly failed: number;
  /** The import's first `MAX_IMPORT_ERRORS` row errors, when they changed. */
  readonly errors?: readonly ImportRowError[];
}

/**
 * Import jobs. A job is leased by the process that works on it (`leaseUntil`), so after a crash another start
 * (or the same host restarting) can claim it once the lease has run out.
 *
 * @example
 * await imports.create(job, { leaseUntil: now + 60_000 });
 * if (await imports.claim(appId, id, { now, leaseUntil: now + 60_000 })) await run(job);
 */
export interface ImportStore {
  create(job: ImportJob, lease: { leaseUntil: number }): Promise<void>;
  get(appId: string, importId: string): Promise<ImportJob | undefined>;
  /** Newest first (ids are time-ordered), after `afterId` in that order. */
  list(appId: string, page: { limit: number; afterId?: string }): Promise<ImportJob[]>;
  /** Jobs not finished whose lease ran out (or that never had one), oldest first. */
  listResumable(now: number): Promise<ImportJob[]>;
  /** Takes the lease if it is free or expired; true when this caller now holds it. */
  claim(appId: string, importId: string, lease: { now: number; leaseUntil: number }): Promise<boolean>;
  /** Keeps the lease of a job that waits in this process's queue. */
  extendLease(appId: string, importId: string, lease: { now: number; leaseUntil: number }): Promise<void>;
  /** Records a settled batch and extends the lease. */
  recordProgress(
    appId: string,
    importId: string,
    progress: ImportProgress,
    lease: { now: number; leaseUntil: number },
  ): Promise<void>;
  /** Sets a final status (COMPLETED or FAILED) and releases the lease. */
  finish(
    appId: string,
    importId: string,
    outcome: { status: Extract<ImportStatus, 'COMPLETED' | 'FAILED'>; failureReason?: string; at: number },
  ): Promise<void>;
  /** Gives up the lease without finishing (the process is stopping), so a restart can resume at once. */
  release(appId: string, importId: string, at: number): Promise<void>;
}
