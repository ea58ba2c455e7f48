import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ImportBatch, readImportRows } from './import-rows.js';

async function read(
  bytes: Buffer,
  chunkSize: number,
  batchSize = 100,
  share?: { index: number; of: number },
): Promise<ImportBatch[]> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  const out: ImportBatch[] = [];
  const counted = { bytes: 0 };
  for await (const batch of readImportRows(
    { importId: 'job', format: 'CSV', fromLine: 0, batchSize, ...(share ? { share } : {}) },
    Readable.from(chunks),
    counted,
  )) {
    out.push(batch);
  }
  expect(counted.bytes).toBe(bytes.length);
  return out;
}

/** Each written row's id, address and first name, and the rows' errors. */
function summary(batches: readonly ImportBatch[]) {
  const rows = batches.flatMap((b) =>
    (
      JSON.parse(b.endpoints.patches) as {
        id: string;
        address: string;
        user?: { userAttributes?: Record<string, string[]> };
      }[]
    ).map((patch) => {
      return [patch.id, patch.address, patch.user?.userAttributes?.FirstName?.[0]];
    }),
  );
  return { rows, lines: batches.flatMap((b) => b.lines), errors: batches.flatMap((b) => b.errors) };
}

describe('readImportRows (CSV)', () => {
  const text = [
    '\ufeffId,ChannelType,Address,User.UserAttributes.FirstName',
    'e1,SMS,+16505550001,Zoë',
    'e2,CUSTOM,"a,b ""quoted""",日本語',
    'e3,CUSTOM,"two',
    'lines",x',
    'e4,CUSTOM,c4,Ünïcödé',
    'e5,CUSTOM,c5,last without a line break',
  ];

  it('reads the same rows whatever the chunking of the bytes: quotes, characters split between chunks, line numbers', async () => {
    const bytes = Buffer.from(text.join('\n'));
    const whole = summary(await read(bytes, bytes.length));
    expect(whole.rows).toEqual([
      ['e1', '+16505550001', 'Zoë'],
      ['e2', 'a,b "quoted"', '日本語'],
      ['e4', 'c4', 'Ünïcödé'],
      ['e5', 'c5', 'last without a line break'],
    ]);
    expect(whole.lines).toEqual([2, 3, 6, 7]);
    expect(whole.errors).toEqual([
      { row: 4, field: 'row', reason: expect.stringContaining('a value spans 2 lines (lines 4-5)') },
    ]);
    for (const size of [1, 2, 3, 7, 64]) expect(summary(await read(bytes, size))).toEqual(whole);
  });

  it('reads CRLF line breaks, even when the first chunk ends before the first one', async () => {
    const lf = summary(await read(Buffer.from(text.join('\n')), 1000));
    const bytes = Buffer.from(`${text.join('\r\n')}\r\n`);
    for (const size of [1, 5, 1000]) expect(summary(await read(bytes, size))).toEqual(lf);
  });

  it('batches rows in file order, with the line a resumed import goes on from', async () => {
    const rows = ['Id,ChannelType,Address'];
    for (let i = 0; i < 250; i++) rows.push(`r${i},CUSTOM,a${i}`);
    const batches = await read(Buffer.from(`${rows.join('\n')}\n\n`), 333, 100);
    expect(batches.map((b) => b.lastLine)).toEqual([101, 201, 251]);
    expect(batches.flatMap((b) => b.lines)).toEqual(Array.from({ length: 250 }, (_, i) => i + 2));
  });

  it('gives readers that share the file the batches one reader makes: quoted stretches, a line break inside a CRLF line, blank lines', async () => {
    const rows = ['Id,ChannelType,Address,Attributes.Note'];
    for (let i = 0; i < 60; i++) {
      if (i === 17) rows.push(`q${i},CUSTOM,"quoted, with a comma",x`);
      else if (i === 30) rows.push(`n${i},CUSTOM,bare\nbreak,x`);
      else if (i === 41) rows.push('');
      else if (i === 50) rows.push(`u${i},CUSTOM,"unclosed,x`, 'swallowed,CUSTOM,a,b');
      else rows.push(`r${i},CUSTOM,a${i},${i % 3 === 0 ? '' : 'note'}`);
    }
    const bytes = Buffer.from(`${rows.join('\r\n')}\r\n`);
    // Read whole, the file (it has quotes) goes through papaparse; in smaller chunks most are quote-free.
    const whole = summary(await read(bytes, bytes.length, 7));
    expect(whole.errors.map((e) => [e.row, e.reason.slice(0, 30)])).toEqual([
      [32, 'a value spans 2 lines (lines 3'],
      [53, expect.stringContaining('a value spans')],
    ]);
    for (const chunkSize of [16, 100, 4096]) {
      const one = await read(bytes, chunkSize, 7);
      expect(summary(one)).toEqual(whole);
      const shared = (
        await Promise.all([0, 1, 2].map((index) => read(bytes, chunkSize, 7, { index, of: 3 })))
      ).flat();
      shared.sort((a, b) => a.lastLine - b.lastLine);
      expect(summary(shared)).toEqual(whole);
      expect(shared.map((b) => b.lastLine)).toEqual(one.map((b) => b.lastLine));
    }
  });
});
