import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ImportBatch, MAX_ROW_CHARS, readImportRows } from './import-rows.js';

async function read(
  bytes: Buffer,
  chunkSize: number,
  batchSize = 100,
  share?: { index: number; of: number },
  format: 'CSV' | 'JSON' = 'CSV',
): Promise<ImportBatch[]> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  const out: ImportBatch[] = [];
  const counted = { bytes: 0 };
  for await (const batch of readImportRows(
    { importId: 'job', format, fromLine: 0, batchSize, ...(share ? { share } : {}) },
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

  it('reads a quoted header after a byte-order mark (an Excel export), whatever the chunking', async () => {
    const bytes = Buffer.from('\ufeff"Id","ChannelType","Address"\r\n"q1","CUSTOM","a1"\r\n');
    for (const size of [1, 2, 3, 1000])
      expect(summary(await read(bytes, size))).toEqual({
        rows: [['q1', 'a1', undefined]],
        lines: [2],
        errors: [],
      });
  });

  it('refuses the rows that are not UTF-8 and reads the others', async () => {
    const bytes = Buffer.concat([
      Buffer.from('Id,ChannelType,Address,User.UserAttributes.FirstName\nl1,CUSTOM,a1,Jos'),
      Buffer.from([0xe9]), // é in Latin-1
      Buffer.from('\nl2,CUSTOM,a2,Zoë\n'),
    ]);
    for (const size of [1, 1000]) {
      expect(summary(await read(bytes, size))).toEqual({
        rows: [['l2', 'a2', 'Zoë']],
        lines: [3],
        errors: [{ row: 2, field: 'row', reason: expect.stringContaining('not valid UTF-8') }],
      });
    }
  });

  it('keeps no carriage return in the last value of a CRLF line in an LF file', async () => {
    const bytes = Buffer.from(
      'Id,ChannelType,Address,User.UserAttributes.FirstName\nm1,CUSTOM,a1,Ann\r\nm2,CUSTOM,"a2",Bo\r\nm3,CUSTOM,a3,Cy\n',
    );
    expect(summary(await read(bytes, 1000)).rows).toEqual([
      ['m1', 'a1', 'Ann'],
      ['m2', 'a2', 'Bo'],
      ['m3', 'a3', 'Cy'],
    ]);
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

  it('reports a row that runs past the limit (an unclosed quote) at its line and reads the rows after it', async () => {
    const filler = Array.from({ length: 20_000 }, (_, i) => `f${i},CUSTOM,c${i},${'x'.repeat(60)}`);
    const lines = [
      'Id,ChannelType,Address,User.UserAttributes.FirstName',
      'e1,CUSTOM,c1,before',
      'e2,CUSTOM,"never closed,x',
      ...filler,
      'e3,CUSTOM,c3,after',
    ];
    const bytes = Buffer.from(lines.join('\n'));
    expect(bytes.length).toBeGreaterThan(MAX_ROW_CHARS);
    for (const chunkSize of [65_536, 1_000_003]) {
      const { rows, errors } = summary(await read(bytes, chunkSize, 5_000));
      expect(errors).toEqual([{ row: 3, field: 'row', reason: expect.stringContaining('unclosed quote') }]);
      expect(rows).toHaveLength(20_002);
      expect(rows.at(-1)).toEqual(['e3', 'c3', 'after']);
      expect(rows[1]).toEqual(['f0', 'c0', 'x'.repeat(60)]);
    }
  });

  it('refuses a file whose first line runs past the limit', async () => {
    const bytes = Buffer.from(`Id,${'x'.repeat(MAX_ROW_CHARS + 10)}\ne1,c`);
    for (const chunkSize of [65_536, bytes.length]) {
      await expect(read(bytes, chunkSize)).rejects.toMatchObject({
        code: 'HERALD_VALIDATION_FAILED',
        field: 'header',
      });
    }
  });
});

describe('readImportRows (NDJSON)', () => {
  it('reads lines (CRLF or LF, blank ones counted) and reports a line past the limit without holding it', async () => {
    const row = (id: string) => JSON.stringify({ Id: id, ChannelType: 'CUSTOM', Address: `a-${id}` });
    const text = [
      row('j1'),
      '',
      `{"Id":"${'y'.repeat(MAX_ROW_CHARS + 5)}"}`,
      `${row('j2')}\r`,
      row('j3'),
    ].join('\n');
    for (const chunkSize of [4_096, 300_000]) {
      const { rows, lines, errors } = summary(
        await read(Buffer.from(text), chunkSize, 100, undefined, 'JSON'),
      );
      expect(rows.map((r) => r[0])).toEqual(['j1', 'j2', 'j3']);
      expect(lines).toEqual([1, 4, 5]);
      expect(errors).toEqual([{ row: 3, field: 'row', reason: expect.stringContaining('skipped') }]);
    }
  });

  it('reads a first line after a byte-order mark, and refuses a line that is not UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from(
        '\ufeff{"Id":"b1","ChannelType":"CUSTOM","Address":"a1"}\n{"Id":"b2","ChannelType":"CUSTOM","Address":"',
      ),
      Buffer.from([0xff]),
      Buffer.from('"}\n'),
    ]);
    for (const chunkSize of [1, 4_096]) {
      const { rows, errors } = summary(await read(bytes, chunkSize, 100, undefined, 'JSON'));
      expect(rows.map((r) => r[0])).toEqual(['b1']);
      expect(errors).toEqual([{ row: 2, field: 'row', reason: expect.stringContaining('not valid UTF-8') }]);
    }
  });
});
