import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import type { ImportJob } from '../domain/import-job.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyImportStore } from './import-store.js';

const T0 = 1_800_000_000_000;

const job = (id: string, extra: Partial<ImportJob> = {}): ImportJob => ({
  appId: 'a1',
  id,
  format: 'CSV',
  status: 'CREATED',
  sizeBytes: 100,
  bytesRead: 0,
  rowsRead: 0,
  processed: 0,
  failed: 0,
  errors: [],
  createdAt: T0,
  updatedAt: T0,
  ...extra,
});

describeEachDatabase('KyselyImportStore', (db) => {
  const setUp = async () => {
    await new KyselyAppStore(db().db).createApp(
      { id: 'a1', name: 'a1', createdAt: T0 },
      { id: 'k1', appId: 'a1', name: 'k', hint: 'h', createdAt: T0, secretHash: 'x' },
    );
    return new KyselyImportStore(db().db);
  };

  it('creates, records progress and finishes a job', async () => {
    const store = await setUp();
    await store.create(job('i1', { segmentId: 's1', segmentName: 'imported' }), { leaseUntil: T0 + 60_000 });
    expect(await store.get('a1', 'i1')).toEqual(job('i1', { segmentId: 's1', segmentName: 'imported' }));
    expect(await store.get('a2', 'i1')).toBeUndefined();

    const errors = [
      { row: 3, field: 'Address', reason: 'bad' },
      { row: 4, reason: 'worse' },
    ];
    await store.recordProgress(
      'a1',
      'i1',
      { rowsRead: 10, bytesRead: 50, processed: 7, failed: 2, errors },
      { now: T0 + 5, leaseUntil: T0 + 60_005 },
    );
    await store.recordProgress(
      'a1',
      'i1',
      { rowsRead: 20, bytesRead: 90, processed: 17, failed: 2 },
      { now: T0 + 6, leaseUntil: T0 + 60_006 },
    );
    expect(await store.get('a1', 'i1')).toMatchObject({
      status: 'PROCESSING',
      rowsRead: 20,
      bytesRead: 90,
      processed: 17,
      failed: 2,
      errors,
      updatedAt: T0 + 6,
    });

    await store.finish('a1', 'i1', { status: 'FAILED', failureReason: 'gone', at: T0 + 7 });
    expect(await store.get('a1', 'i1')).toMatchObject({
      status: 'FAILED',
      failureReason: 'gone',
      completedAt: T0 + 7,
    });
    expect(await store.claim('a1', 'i1', { now: T0 + 999_999, leaseUntil: T0 + 2_000_000 })).toBe(false);
  });

  it('hands out a job whose lease ran out to one claimant, and a released one at once', async () => {
    const store = await setUp();
    await store.create(job('i1'), { leaseUntil: T0 + 60_000 });
    await store.create(job('i2'), { leaseUntil: T0 + 60_000 });
    expect(await store.listResumable(T0 + 1000)).toEqual([]);
    expect(await store.claim('a1', 'i1', { now: T0 + 1000, leaseUntil: T0 + 61_000 })).toBe(false);

    expect((await store.listResumable(T0 + 60_001)).map((j) => j.id)).toEqual(['i1', 'i2']);
    expect(await store.claim('a1', 'i1', { now: T0 + 60_001, leaseUntil: T0 + 120_001 })).toBe(true);
    expect(await store.claim('a1', 'i1', { now: T0 + 60_002, leaseUntil: T0 + 120_002 })).toBe(false);
    await store.extendLease('a1', 'i2', { now: T0 + 60_001, leaseUntil: T0 + 500_000 });
    expect((await store.listResumable(T0 + 200_000)).map((j) => j.id)).toEqual(['i1']);

    await store.release('a1', 'i2', T0 + 200_001);
    expect((await store.listResumable(T0 + 200_002)).map((j) => j.id)).toEqual(['i1', 'i2']);
  });

  it('lists newest first, page by page', async () => {
    const store = await setUp();
    for (const id of ['i1', 'i2', 'i3']) await store.create(job(id), { leaseUntil: T0 });
    expect((await store.list('a1', { limit: 2 })).map((j) => j.id)).toEqual(['i3', 'i2']);
    expect((await store.list('a1', { limit: 2, afterId: 'i2' })).map((j) => j.id)).toEqual(['i1']);
  });
});
