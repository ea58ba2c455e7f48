import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../../test/helpers/test-database.js';
import { quietLogger } from '../../../test/helpers/test-herald.js';
import type { ImportJob } from '../../domain/import-job.js';
import { createFileImportSpool } from '../../runtime/file-import-spool.js';
import { KyselyAppStore } from '../../storage/app-store.js';
import { KyselyEndpointStore } from '../../storage/endpoint-store.js';
import { KyselyImportStore } from '../../storage/import-store.js';
import { KyselySegmentStore } from '../../storage/segment-store.js';
import { createRecipientHasher } from '../delivery/recipient-hasher.js';
import { runImport } from './run-import.js';

const T0 = 1_800_000_000_000;

describeEachDatabase('runImport', (db) => {
  it('stops between batches with the job resumable, and a second run finishes exactly where the first stopped', async () => {
    const handle = db();
    await new KyselyAppStore(handle.db).createApp(
      { id: 'a1', name: 'a1', createdAt: T0 },
      { id: 'k1', appId: 'a1', name: 'k', hint: 'h', createdAt: T0, secretHash: 'x' },
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-run-import-'));
    const clock = { now: () => T0 };
    const deps = {
      imports: new KyselyImportStore(handle.db),
      endpoints: new KyselyEndpointStore(handle.db, handle.dialect, createRecipientHasher('test')),
      segments: new KyselySegmentStore(handle.db, handle.dialect, clock),
      spool: createFileImportSpool(dir),
      clock,
      logger: quietLogger,
      leaseMs: 60_000,
      batchSize: 10,
    };
    const rows = ['ChannelType,Address,User.UserId'];
    for (let i = 0; i < 35; i++) rows.push(i === 12 ? 'SMS,bad,u' : `SMS,+1650555${String(1000 + i)},u${i}`);
    const size = await deps.spool.write('job1', Readable.from([rows.join('\n')]), { limitBytes: 10_000 });
    const job: ImportJob = {
      appId: 'a1',
      id: 'job1',
      format: 'CSV',
      status: 'CREATED',
      sizeBytes: size,
      bytesRead: 0,
      rowsRead: 0,
      processed: 0,
      failed: 0,
      errors: [],
      createdAt: T0,
      updatedAt: T0,
    };
    await deps.imports.create(job, { leaseUntil: T0 + 60_000 });

    let batches = 0;
    expect(await runImport(deps, job, () => ++batches >= 2)).toBe('stopped');
    const paused = await deps.imports.get('a1', 'job1');
    expect(paused).toMatchObject({ status: 'PROCESSING', rowsRead: 21, processed: 19, failed: 1 });
    expect(await deps.imports.listResumable(T0)).toHaveLength(1);
    expect(await deps.spool.exists('job1')).toBe(true);

    expect(await runImport(deps, paused as ImportJob, () => false)).toBe('finished');
    const done = await deps.imports.get('a1', 'job1');
    expect(done).toMatchObject({
      status: 'COMPLETED',
      rowsRead: 36,
      processed: 34,
      failed: 1,
      errors: [{ row: 14, field: 'Address' }],
    });
    const stored = await deps.endpoints.list('a1', {}, { limit: 100 });
    expect(stored).toHaveLength(34);
    expect(new Set(stored.map((e) => e.id)).size).toBe(34);
    expect(stored.every((e) => e.id.startsWith('job1-'))).toBe(true);
    expect(await deps.spool.exists('job1')).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
