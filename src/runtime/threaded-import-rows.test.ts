import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ImportBatch, readImportRows } from '../app/imports/import-rows.js';
import { threadedImportRows } from './threaded-import-rows.js';

async function collect(batches: AsyncGenerator<ImportBatch>): Promise<ImportBatch[]> {
  const out: ImportBatch[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

const chunks = (text: string, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(text.length / size) }, (_, i) =>
      Buffer.from(text.slice(i * size, (i + 1) * size)),
    ),
  );

describe('threadedImportRows', () => {
  it('reads the same batches as the in-thread reader, whatever the chunking of the bytes and the readers', async () => {
    const lines = ['Id,ChannelType,Address,Attributes.Tags,Metrics.m'];
    for (let i = 0; i < 3000; i++) {
      lines.push(
        i % 500 === 7
          ? `x${i},SMS,nope,a,1`
          : i % 700 === 3
            ? `x${i},,,b,2`
            : `x${i},SMS,+1650555${String(1000 + (i % 9000))},c,${i}`,
      );
    }
    const text = lines.join('\n');
    const job = { importId: 'job', format: 'CSV' as const, fromLine: 100, batchSize: 1000 };
    const read = { bytes: 0 };
    const threaded = await collect(threadedImportRows()(job, chunks(text, 4099), read));
    const direct = await collect(readImportRows(job, chunks(text, 65_536), { bytes: 0 }));
    expect(threaded).toEqual(direct);
    for (const readers of [1, 3]) {
      expect(await collect(threadedImportRows(readers)(job, chunks(text, 1500), { bytes: 0 }))).toEqual(
        direct,
      );
    }
    expect(threaded.map((b) => b.lastLine)).toEqual([1100, 2100, 3001]);
    expect(threaded.flatMap((b) => b.lines)).toHaveLength(3000 - 99 - 5 - 4);
    expect(threaded.flatMap((b) => b.errors)).toHaveLength(5);
    expect(threaded.flatMap((b) => b.partial)).toHaveLength(4);
    expect(read.bytes).toBe(Buffer.byteLength(text));
  });

  it("hands on the worker's refusal of the file as Herald's error", async () => {
    const rows = threadedImportRows()(
      { importId: 'job', format: 'CSV', fromLine: 0, batchSize: 10 },
      chunks('Colour\nred\n', 5),
      { bytes: 0 },
    );
    await expect(collect(rows)).rejects.toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'header' });
  });

  it('stops the worker when the reader is closed early', async () => {
    const text = [
      'Id,ChannelType,Address',
      ...Array.from({ length: 5000 }, (_, i) => `y${i},CUSTOM,a${i}`),
    ].join('\n');
    const rows = threadedImportRows()(
      { importId: 'job', format: 'CSV', fromLine: 0, batchSize: 1000 },
      chunks(text, 1000),
      {
        bytes: 0,
      },
    );
    const first = await rows.next();
    expect(first.done).toBe(false);
    await rows.return(undefined);
  });
});
