import type { Kysely, Selectable } from 'kysely';
import type { ImportFormat, ImportJob, ImportRowError, ImportStatus } from '../domain/import-job.js';
import type { ImportProgress, ImportStore } from '../ports/import-store.js';
import { readJson } from './audience-sql.js';
import type { Database } from './database.js';

type Row = Selectable<Database['imports']>;

/** Imports. JSON goes in as text on both dialects (jsonb parses it on the way in). */
export class KyselyImportStore implements ImportStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(job: ImportJob, lease: { leaseUntil: number }): Promise<void> {
    await this.db
      .insertInto('imports')
      .values({
        app_id: job.appId,
        id: job.id,
        format: job.format,
        status: job.status,
        segment_id: job.segmentId ?? null,
        segment_name: job.segmentName ?? null,
        size_bytes: job.sizeBytes,
        bytes_read: job.bytesRead,
        rows_read: job.rowsRead,
        processed: job.processed,
        failed: job.failed,
        errors: JSON.stringify(job.errors),
        failure_reason: job.failureReason ?? null,
        lease_until: lease.leaseUntil,
        created_at: job.createdAt,
        updated_at: job.updatedAt,
        completed_at: job.completedAt ?? null,
      })
      .execute();
  }

  async get(appId: string, importId: string): Promise<ImportJob | undefined> {
    const row = await this.db
      .selectFrom('imports')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', importId)
      .executeTakeFirst();
    return row && toJob(row);
  }

  async list(appId: string, page: { limit: number; afterId?: string }): Promise<ImportJob[]> {
    let query = this.db
      .selectFrom('imports')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('id', 'desc')
      .limit(page.limit);
    if (page.afterId !== undefined) query = query.where('id', '<', page.afterId);
    return (await query.execute()).map(toJob);
  }

  async listResumable(now: number): Promise<ImportJob[]> {
    const rows = await this.db
      .selectFrom('imports')
      .selectAll()
      .where('status', 'in', ['CREATED', 'PROCESSING'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('id')
      .execute();
    return rows.map(toJob);
  }

  async claim(appId: string, importId: string, lease: { now: number; leaseUntil: number }): Promise<boolean> {
    const result = await this.db
      .updateTable('imports')
      .set({ lease_until: lease.leaseUntil, updated_at: lease.now })
      .where('app_id', '=', appId)
      .where('id', '=', importId)
      .where('status', 'in', ['CREATED', 'PROCESSING'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', lease.now)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async extendLease(
    appId: string,
    importId: string,
    lease: { now: number; leaseUntil: number },
  ): Promise<void> {
    await this.db
      .updateTable('imports')
      .set({ lease_until: lease.leaseUntil })
      .where('app_id', '=', appId)
      .where('id', '=', importId)
      .where('status', 'in', ['CREATED', 'PROCESSING'])
      .execute();
  }

  async recordProgress(
    appId: string,
    importId: string,
    progress: ImportProgress,
    lease: { now: number; leaseUntil: number },
  ): Promise<void> {
    await this.db
      .updateTable('imports')
      .set({
        status: 'PROCESSING',
        rows_read: progress.rowsRead,
        bytes_read: progress.bytesRead,
        processed: progress.processed,
        failed: progress.failed,
        ...(progress.errors ? { errors: JSON.stringify(progress.errors) } : {}),
        lease_until: lease.leaseUntil,
        updated_at: lease.now,
      })
      .where('app_id', '=', appId)
      .where('id', '=', importId)
      .execute();
  }

  async finish(
    appId: string,
    importId: string,
    outcome: { status: Extract<ImportStatus, 'COMPLETED' | 'FAILED'>; failureReason?: string; at: number },
  ): Promise<void> {
    await this.db
      .updateTable('imports')
      .set({
        status: outcome.status,
        failure_reason: outcome.failureReason ?? null,
        lease_until: null,
        updated_at: outcome.at,
        completed_at: outcome.at,
      })
      .where('app_id', '=', appId)
      .where('id', '=', importId)
      .execute();
  }

  async release(appId: string, importId: string, at: number): Promise<void> {
    await this.db
      .updateTable('imports')
      .set({ lease_until: null, updated_at: at })
      .where('app_id', '=', appId)
      .where('id', '=', importId)
      .where('status', 'in', ['CREATED', 'PROCESSING'])
      .execute();
  }
}

function toJob(row: Row): ImportJob {
  return {
    appId: row.app_id,
    id: row.id,
    format: row.format as ImportFormat,
    status: row.status as ImportStatus,
    ...(row.segment_id !== null ? { segmentId: row.segment_id } : {}),
    ...(row.segment_name !== null ? { segmentName: row.segment_name } : {}),
    sizeBytes: Number(row.size_bytes),
    bytesRead: Number(row.bytes_read),
    rowsRead: Number(row.rows_read),
    processed: Number(row.processed),
    failed: Number(row.failed),
    errors: readJson<ImportRowError[]>(row.errors, []),
    ...(row.failure_reason !== null ? { failureReason: row.failure_reason } : {}),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.completed_at !== null ? { completedAt: Number(row.completed_at) } : {}),
  };
}
