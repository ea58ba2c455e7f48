import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Papa from 'papaparse';
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
      let breaks = 0;
      if (typeof record === 'string') {
        if (record.indexOf('\n') !== -1) breaks = record.split('\n').length - 1;
      } else {
        for (const cell of record) {
          if (cell.indexOf('\n') !== -1) breaks += cell.split('\n').length - 1;
        }
      }
      line += breaks;
      if (!plan) {
        const header = typeof record === 'string' ? record.split(',') : record;
        if (header[0]?.charCodeAt(0) === 0xfeff) header[0] = header[0].slice(1);
        plan = planCsvHeader(header);
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

/**
 * CSV records of the file, a chunk of the file's bytes at a time. Each chunk's complete lines go through
 * papaparse's parser in one call, and the unfinished last line waits for the next chunk. Text without a quote
 * (most files) is split into lines here, as papaparse would split it, but each line is left whole (a string
 * rather than its cells): a reader splits only the lines of its own batches, where every reader used to split
 * every line of the file. Papaparse's own Node stream was avoided: it hands on records as objects with room for 16, and
 * on every pause re-parses the rest of its chunk from scratch (most of an import's CPU with 256 KB chunks). Bytes
 * are decoded across chunk boundaries, so a character split between two chunks stays whole.
 */
async function* recordChunks(file: Readable, read: { bytes: number }): AsyncGenerator<(string[] | string)[]> {
  const decoder = new StringDecoder('utf8');
  let parser: Papa.Parser | undefined;
  let newline: '\r\n' | '\n' | '\r' | undefined;
  let pending = '';
  const parse = (last: boolean): (string[] | string)[] => {
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
      return lines;
    }
    const result = parser.parse(pending, 0, !last) as { data: string[][]; meta: { cursor: number } };
    pending = last ? '' : pending.slice(result.meta.cursor);
    return result.data;
  };
  for await (const chunk of file as AsyncIterable<Buffer | string>) {
    read.bytes += chunk.length;
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
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

/** Lines of an NDJSON file, in chunks; blank lines are skipped. */
async function* jsonRows(file: Readable, read: { bytes: number }): AsyncGenerator<FileRow[]> {
  const lines = readline.createInterface({ input: file, crlfDelay: Number.POSITIVE_INFINITY });
  countBytes(file, read);
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    yield [{ line, json: text }];
  }
}

/** Bytes the file has handed on: progress, ahead of the rows settled by at most the buffered chunks. */
function countBytes(file: Readable, read: { bytes: number }): void {
  file.on('data', (chunk: Buffer | string) => {
    read.bytes += chunk.length;
  });
}
