import type { ImportJob } from '../../domain/import-job.js';
import { type RunImportDeps, runImport } from './run-import.js';

/** How long an import's lease lasts without renewal: a crashed process's imports resume this long after. */
export const IMPORT_LEASE_MS = 60_000;

/**
 * What the runner needs: what processing an import needs, and how often to renew leases.
 *
 * @example
 * new ImportRunner({ imports, endpoints, segments, spool, clock, logger, leaseMs: IMPORT_LEASE_MS, readRows: threadedImportRows() });
 */
export interface ImportRunnerDeps extends RunImportDeps {
  /** How often the leases of waiting imports are renewed (well under `leaseMs`). */
  readonly heartbeatMs?: number;
}

/**
 * Runs this process's imports one at a time, in the order they arrived (they share the database with
 * everything else; one at a time keeps the API responsive).
 *
 * Surviving a restart: uploads are spooled to the data directory and every job holds a lease while it waits or
 * runs. On start, `resume()` takes every unfinished job whose lease ran out: if its spooled file is in this
 * host's data directory the job continues after its last settled line; if not (the data directory was lost, or
 * another host received the upload and is gone) it is marked FAILED with that reason. `stop()` finishes the
 * batch in progress and releases the lease so the next start resumes at once.
 *
 * @example
 * const runner = new ImportRunner(deps);
 * await runner.resume();
 * runner.enqueue(job);
 * await runner.stop();
 */
export class ImportRunner {
  private readonly queue: ImportJob[] = [];
  private running: Promise<void> | undefined;
  private stopping = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: ImportRunnerDeps) {}

  /** Takes over the unfinished imports whose lease ran out (after a crash or a stop). */
  async resume(): Promise<void> {
    await this.deps.spool.sweep();
    const now = this.deps.clock.now();
    for (const job of await this.deps.imports.listResumable(now)) {
      if (!(await this.deps.imports.claim(job.appId, job.id, { now, leaseUntil: now + this.deps.leaseMs })))
        continue;
      if (await this.deps.spool.exists(job.id)) {
        this.deps.logger.info({ appId: job.appId, importId: job.id, line: job.rowsRead }, 'resuming import');
        this.enqueue(job);
      } else {
        await this.deps.imports.finish(job.appId, job.id, {
          status: 'FAILED',
          failureReason:
            "the uploaded file is not in this host's data directory (the directory was lost, or another host received the upload); upload it again",
          at: now,
        });
      }
    }
  }

  /** Queues an import whose lease this process holds. */
  enqueue(job: ImportJob): void {
    if (this.stopping) return;
    this.queue.push(job);
    this.startHeartbeat();
    this.kick();
  }

  private kick(): void {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      // A job queued while the loop was returning.
      if (this.queue.length > 0 && !this.stopping) this.kick();
      else this.settleIdle();
    });
  }

  /** Resolves when no import is queued or running. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Finishes the batch in progress, leaves the rest resumable, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await this.running;
    const now = this.deps.clock.now();
    for (const job of this.queue.splice(0)) await this.deps.imports.release(job.appId, job.id, now);
    this.settleIdle();
  }

  private async drain(): Promise<void> {
    for (;;) {
      const job = this.queue.shift();
      if (!job) return;
      const current = (await this.deps.imports.get(job.appId, job.id)) ?? job;
      try {
        const outcome = await runImport(this.deps, current, () => this.stopping);
        if (outcome === 'stopped') return;
      } catch (error) {
        // Recording the outcome itself failed (the database is gone): the lease runs out and a restart resumes.
        this.deps.logger.error(
          { err: error, appId: job.appId, importId: job.id },
          'import could not be recorded',
        );
      }
      if (this.stopping) return;
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat || this.stopping) return;
    this.heartbeat = setInterval(
      () => {
        const now = this.deps.clock.now();
        for (const job of this.queue) {
          this.deps.imports
            .extendLease(job.appId, job.id, { now, leaseUntil: now + this.deps.leaseMs })
            .catch((error: unknown) =>
              this.deps.logger.warn({ err: error, importId: job.id }, 'lease not renewed'),
            );
        }
        if (!this.running && this.queue.length === 0 && this.heartbeat) {
          clearInterval(this.heartbeat);
          this.heartbeat = undefined;
        }
      },
      this.deps.heartbeatMs ?? Math.max(1000, Math.floor(this.deps.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  private settleIdle(): void {
    if (this.running || this.queue.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
