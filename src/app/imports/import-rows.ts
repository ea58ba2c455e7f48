import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Papa from 'papaparse';
import { HeraldError } from '../../domain/errors.js';
import type { ImportFormat, ImportRowError } from '../../domain/import-job.js';
import type { EndpointBatch } from '../../ports/endpoint-store.js';
import { type EndpointInput, validateEndpointInput } from '../endpoints/endpoint-input.js';
import { EndpointBatchBuilder } from './endpoint-batch-builder.js';
import { type CsvPlan, pinpointPath, planCsvHeader, type RowProblem } from './pinpoint-csv.js';
import { readJsonLine } from './pinpoint-json.js';

/**
 * Rows of an import file read and checked as far as they can be without the database, in file order, ready to
 * write as one transaction: validated patches (with the records of the endpoints they make when new), inputs
 * that leave out their channel type or address (checked against the stored endpoint when written), and the
 * errors of the rows that are wrong.
 */
export interface ImportBatch {
  /** The line of the batch's last row: where a resumed import goes on once the batch is written. */
  readonly lastLine: number;
  readonly endpoints: EndpointBatch;
  /** The line of each of `endpoints`' patches. */
  readonly lines: readonly number[];
  readonly partial: readonly { readonly line: number; readonly input: EndpointInput }[];
  readonly errors: readonly ImportRowError[];
}

/**
 * Reads an import file into batches of `batchSize` rows, from the line after `fromLine`. `read.bytes` counts the
 * bytes consumed. Rows without an Id get `<importId>-<line>`, the same on every read of the file.
 *
 * @example
 * for await (const batch of readImportRows({ importId, format: 'CSV', fromLine: 0, batchSize: 5000 }, spool.read(importId), { bytes: 0 })) ...
 */
export type ImportRowReader = (
  job: {
    readonly importId: string;
    readonly format: ImportFormat;
    readonly fromLine: number;
    readonly batchSize: number;
    /**
     * This reader's share of the batches when several read the same file side by side: batch `n` (from 0) is
     * this reader's when `n % of === index`. Every reader parses every row (batch boundaries are counted the
     * same way by all), but checks and builds only the rows of its own batches. Every batch when left out.
     */
    readonly share?: { readonly index: number; readonly of: number };
  },
  source: Readable,
  read: { bytes: number },
) => AsyncGenerator<ImportBatch>;

/** Reads and checks the rows in this thread. */
export const readImportRows: ImportRowReader = async function* (job, source, read) {
  const rows = job.format === 'CSV' ? csvRows(source, read) : jsonRows(source, read);
  const endpoints = new EndpointBatchBuilder();
  let lines: number[] = [];
  let partial: { line: number; input: EndpointInput }[] = [];
  let errors: ImportRowError[] = [];
  let count = 0;
  let lastLine = job.fromLine;
  let batchNumber = 0;
  let mine = true;
  const turn = () => {
    mine = job.share === undefined || batchNumber % job.share.of === job.share.index;
  };
  turn();
  const take = (): ImportBatch => {
    const batch = { lastLine, endpoints: endpoints.build(), lines, partial, errors };
    lines = [];
    partial = [];
    errors = [];
    return batch;
  };
  for await (const chunk of rows) {
    for (const row of chunk) {
      if (row.line <= job.fromLine) continue;
      lastLine = row.line;
      count++;
      if (mine) {
        const result = resultOf(row);
        if ('problems' in result) {
          for (const p of result.problems) errors.push({ row: row.line, ...p });
        } else {
          const input: EndpointInput = {
            ...result.input,
            id: result.input.id ?? `${job.importId}-${row.line}`,
          };
          if (input.channelType === undefined || input.address === undefined) {
            partial.push({ line: row.line, input });
          } else {
            const checked = validateEndpointInput(input, {});
            if ('patch' in checked) {
              endpoints.add(checked.patch);
              lines.push(row.line);
            } else {
              for (const issue of checked.issues) {
                errors.push({ row: row.line, field: pinpointPath(issue.field), reason: issue.reason });
              }
            }
          }
        }
      }
      if (count >= job.batchSize) {
        if (mine) yield take();
        count = 0;
        batchNumber++;
        turn();
      }
    }
  }
  if (count > 0 && mine) yield take();
};

type FileResult = { input: Omit<EndpointInput, 'id'> & { id?: string } } | { problems: RowProblem[] };

/**
 * One data row of the file: its line, and the endpoint it describes or what is wrong with it, read only when
 * asked (`resultOf`): a reader that leaves the row to another never reads it.
 */
type FileRow =
  | { readonly line: number; readonly result: FileResult }
  | { readonly line: number; readonly cells: string[]; readonly plan: CsvPlan }
  | { readonly line: number; readonly text: string; readonly plan: CsvPlan }
  | { readonly line: number; readonly json: string };

function resultOf(row: FileRow): FileResult {
  if ('result' in row) return row.result;
  if ('cells' in row) return row.plan.read(row.cells);
  if ('text' in row) return row.plan.read(row.text.split(','));
  return readJsonLine(row.json);
}

/**
 * The longest row an import reads, in characters. A Pinpoint endpoint is at most 15 KB, so this is far past any
 * real row; it bounds what a malformed file (an unclosed quote, a file without line breaks) makes the reader
 * hold, which would otherwise be the rest of the file.
 */
export const MAX_ROW_CHARS = 1_048_576;

/** Stands for a row that ran past {@link MAX_ROW_CHARS}: its first line was dropped, reading goes on after it. */
const OVERLONG = Symbol('overlong row');

const overlongRow = (line: number): FileRow => ({
  line,
  result: {
    problems: [
      {
        field: 'row',
        reason: `the row runs past ${MAX_ROW_CHARS.toLocaleString('en-US')} characters (an unclosed quote?); its first line is skipped`,
      },
    ],
  },
});

/**
 * The decoder puts U+FFFD where the bytes are not UTF-8 (a Latin-1 or Windows-1252 export): such a row is refused
 * rather than stored with its accented letters lost. (A U+FFFD written on purpose is refused with it.)
 */
const REPLACEMENT = '\uFFFD';

const notUtf8Row = (line: number): FileRow => ({
  line,
  result: {
    problems: [
      {
        field: 'row',
        reason: 'is not valid UTF-8 (a Latin-1 or Windows-1252 file?): save the file as UTF-8',
      },
    ],
  },
});

function hasReplacement(record: string[] | string): boolean {
  if (typeof record === 'string') return record.includes(REPLACEMENT);
  for (const cell of record) if (cell.includes(REPLACEMENT)) return true;
  return false;
}

/**
 * A file's line break is taken from its first line; in a `\n` file, a line that ends `\r\n` (files pasted
 * together) keeps no `\r` in its last value.
 */
function withoutCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** Excel and Windows tools start UTF-8 files with a byte-order mark: it is not part of the first line. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const overlongHeader = () =>
  new HeraldError(
    'HERALD_VALIDATION_FAILED',
    `header: the first line runs past ${MAX_ROW_CHARS.toLocaleString('en-US')} characters`,
    { field: 'header' },
  );

/**
 * Data rows of a CSV with their line numbers (the header is line 1), in chunks. Pinpoint's format allows no line
 * break inside a value, so a value that spans lines (an unclosed quote swallows what follows) is a row error
 * that says so, and the lines it spans still count.
 */
async function* csvRows(file: Readable, read: { bytes: number }): AsyncGenerator<FileRow[]> {
  let plan: CsvPlan | undefined;
  let line = 0;
  for await (const records of recordChunks(file, read)) {
    const rows: FileRow[] = [];
    for (const record of records) {
      line++;
      const first = line;
      if (record === OVERLONG) {
        if (!plan) throw overlongHeader();
        rows.push(overlongRow(first));
        continue;
      }
      let breaks = 0;
      if (typeof record === 'string') {
        if (record.indexOf('\n') !== -1) breaks = record.split('\n').length - 1;
      } else {
        for (const cell of record) {
          if (cell.indexOf('\n') !== -1) breaks += cell.split('\n').length - 1;
        }
      }
      line += breaks;
      // A one-line row past the limit that happened to come in whole is reported as one cut short would be, so the
      // answer does not depend on the chunking. (A quoted value spanning lines is an error either way, and what it
      // swallows is bounded by the limit.)
      if (breaks === 0 && rowChars(record) > MAX_ROW_CHARS) {
        if (!plan) throw overlongHeader();
        rows.push(overlongRow(first));
        continue;
      }
      if (!plan) {
        plan = planCsvHeader(typeof record === 'string' ? record.split(',') : record);
        continue;
      }
      if (hasReplacement(record)) {
        rows.push(notUtf8Row(first));
        continue;
      }
      if (breaks > 0) {
        rows.push({
          line: first,
          result: {
            problems: [
              {
                field: 'row',
                reason: `a value spans ${breaks + 1} lines (lines ${first}-${line}); Pinpoint's format allows no line break in a value: an unclosed quote?`,
              },
            ],
          },
        });
        continue;
      }
      if (typeof record === 'string') {
        if (record !== '') rows.push({ line: first, text: record, plan });
        continue;
      }
      if (record.length === 1 && record[0] === '') continue;
      rows.push({ line: first, cells: record, plan });
    }
    if (rows.length > 0) yield rows;
  }
  if (!plan) planCsvHeader([]);
}

function rowChars(record: string[] | string): number {
  if (typeof record === 'string') return record.length;
  let n = record.length;
  for (const cell of record) n += cell.length;
  return n;
}

/**
 * CSV records of the file, a chunk of the file's bytes at a time. Each chunk's complete lines go through
 * papaparse's parser in one call, and the unfinished last line waits for the next chunk. Text without a quote
 * (most files) is split into lines here, as papaparse would split it, but each line is left whole (a string
 * rather than its cells): a reader splits only the lines of its own batches, where every reader used to split
 * every line of the file. Papaparse's own Node stream was avoided: it hands on records as objects with room for 16, and
 * on every pause re-parses the rest of its chunk from scratch (most of an import's CPU with 256 KB chunks). Bytes
 * are decoded across chunk boundaries, so a character split between two chunks stays whole.
 */
async function* recordChunks(
  file: Readable,
  read: { bytes: number },
): AsyncGenerator<(string[] | string | typeof OVERLONG)[]> {
  const decoder = new StringDecoder('utf8');
  let parser: Papa.Parser | undefined;
  let newline: '\r\n' | '\n' | '\r' | undefined;
  let pending = '';
  // Dropping the rest of an overlong row's first line, which has not come in whole yet.
  let skipping = false;
  const parse = (last: boolean): (string[] | string | typeof OVERLONG)[] => {
    const out: (string[] | string | typeof OVERLONG)[] = [];
    if (skipping) {
      const end = newline === undefined ? -1 : pending.indexOf(newline);
      if (end === -1) {
        pending = '';
        return out;
      }
      pending = pending.slice(end + (newline as string).length);
      skipping = false;
    }
    for (const record of parseRecords(last)) out.push(record);
    // An unfinished row past the limit: its first line is reported and dropped, and reading starts again after it.
    while (!last && pending.length > MAX_ROW_CHARS) {
      out.push(OVERLONG);
      const end = newline === undefined ? -1 : pending.indexOf(newline);
      if (end === -1) {
        pending = '';
        skipping = true;
        break;
      }
      pending = pending.slice(end + (newline as string).length);
      for (const record of parseRecords(false)) out.push(record);
    }
    return out;
  };
  const parseRecords = (last: boolean): (string[] | string)[] => {
    if (!parser || newline === undefined) {
      newline = lineBreakOf(pending, last);
      if (newline === undefined) return [];
      parser = new Papa.Parser({ delimiter: ',', newline, skipEmptyLines: false });
    }
    if (pending === '') return [];
    if (pending.indexOf('"') === -1) {
      // Papaparse's own quote-free path: split on the line break; the last piece is unfinished unless the file is.
      const lines = pending.split(newline);
      pending = last ? '' : (lines.pop() as string);
      if (newline === '\n') for (let i = 0; i < lines.length; i++) lines[i] = withoutCr(lines[i] as string);
      return lines;
    }
    const result = parser.parse(pending, 0, !last) as { data: string[][]; meta: { cursor: number } };
    pending = last ? '' : pending.slice(result.meta.cursor);
    if (newline === '\n') {
      for (const cells of result.data) {
        const end = cells.length - 1;
        if (end >= 0) cells[end] = withoutCr(cells[end] as string);
      }
    }
    return result.data;
  };
  let started = false;
  for await (const chunk of file as AsyncIterable<Buffer | string>) {
    read.bytes += chunk.length;
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!started && pending !== '') {
      started = true;
      pending = withoutBom(pending);
    }
    const records = parse(false);
    if (records.length > 0) yield records;
  }
  pending += decoder.end();
  const records = parse(true);
  if (records.length > 0) yield records;
}

/**
 * The file's line break (`\r\n`, `\n` or `\r`), from the first one in `text`; undefined while the text has none
 * yet (or ends on a `\r` that a `\n` may follow), unless it is the whole file.
 */
function lineBreakOf(text: string, whole: boolean): '\r\n' | '\n' | '\r' | undefined {
  const at = text.search(/[\r\n]/);
  if (at === -1) return whole ? '\n' : undefined;
  if (text[at] === '\n') return '\n';
  if (at + 1 < text.length) return text[at + 1] === '\n' ? '\r\n' : '\r';
  return whole ? '\r' : undefined;
}

/**
 * Lines of an NDJSON file, in chunks; blank lines are skipped, a `\r` before the line break is dropped. A line
 * past {@link MAX_ROW_CHARS} is reported and skipped without being held whole.
 */
async function* jsonRows(file: Readable, read: { bytes: number }): AsyncGenerator<FileRow[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  let skipping = false;
  const take = (text: string, rows: FileRow[]) => {
    line++;
    const json = text.endsWith('\r') ? text.slice(0, -1) : text;
    // Judged by its length, not by whether it came in whole, so the answer does not depend on the chunking.
    if (json.length > MAX_ROW_CHARS) rows.push(overlongRow(line));
    else if (json.includes(REPLACEMENT)) rows.push(notUtf8Row(line));
    else if (json.trim() !== '') rows.push({ line, json });
  };
  let started = false;
  for await (const chunk of file as AsyncIterable<Buffer | string>) {
    read.bytes += chunk.length;
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!started && pending !== '') {
      started = true;
      pending = withoutBom(pending);
    }
    const rows: FileRow[] = [];
    let start = 0;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      if (skipping) skipping = false;
      else take(pending.slice(start, end), rows);
      start = end + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_ROW_CHARS) {
      if (!skipping) rows.push(overlongRow(++line));
      pending = '';
      skipping = true;
    }
    if (rows.length > 0) yield rows;
  }
  pending += decoder.end();
  const rows: FileRow[] = [];
  if (!skipping && pending !== '') take(pending, rows);
  if (rows.length > 0) yield rows;
}
