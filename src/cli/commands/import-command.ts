import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { withApiClient } from '../with-api-client.js';

interface ImportStatus {
  id: string;
  status: 'CREATED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
  sizeBytes: number;
  bytesRead: number;
  processed: number;
  failed: number;
  errors: { row: number; field?: string; reason: string }[];
  segmentId?: string;
  failureReason?: string;
}

/**
 * What `herald import endpoints` was asked.
 *
 * @example
 * { file: 'endpoints.csv', appId: '01jd...', defineSegment: 'Spring list' }
 */
export interface ImportEndpointsOptions {
  readonly file: string;
  readonly appId: string;
  readonly format?: 'csv' | 'ndjson';
  readonly defineSegment?: string;
  /** Return after the upload instead of following the processing. */
  readonly noWait?: boolean;
}

/**
 * Where the command talks and writes.
 *
 * @example
 * { api: createApiClient({ baseUrl, credential, pools }), out: process.stdout, progress: process.stderr }
 */
export interface ImportEndpointsIo {
  readonly api: ApiClient;
  /** The summary. */
  readonly out: NodeJS.WritableStream;
  /** Progress bars (drawn only on a terminal). */
  readonly progress: NodeJS.WritableStream;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

const FORMATS = { csv: 'text/csv', ndjson: 'application/x-ndjson' } as const;

/**
 * `herald import endpoints <file> --app <appId>`: uploads the file with a progress bar, follows the import with
 * a second one, and prints a summary with the first row errors. Resolves to the process exit code: 0 when the
 * import completed (even with rejected rows, which the summary lists), 1 when it failed.
 *
 * @example
 * const code = await importEndpoints({ file: 'endpoints.csv', appId }, { api, out: process.stdout, progress: process.stderr });
 */
export async function importEndpoints(
  options: ImportEndpointsOptions,
  io: ImportEndpointsIo,
): Promise<number> {
  const format = options.format ?? formatOf(options.file);
  const size = (await fs.promises.stat(options.file)).size;
  const bars = new cliProgress.MultiBar(
    {
      stream: io.progress,
      format: ' {label} [{bar}] {percentage}% | {detail}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const upload = bars.create(size, 0, {
    label: 'upload ',
    detail: `${formatBytes(0)} of ${formatBytes(size)}`,
  });
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      upload.update(sent, { label: 'upload ', detail: `${formatBytes(sent)} of ${formatBytes(size)}` });
      callback(null, chunk);
    },
  });
  let accepted: { id: string; segmentId?: string };
  try {
    accepted = await io.api.request<{ id: string; segmentId?: string }>(
      'POST',
      `/v1/apps/${encodeURIComponent(options.appId)}/imports`,
      {
        query: { defineSegment: options.defineSegment },
        body: fs.createReadStream(options.file).pipe(counter),
        contentType: FORMATS[format],
        contentLength: size,
      },
    );
  } finally {
    upload.update(sent);
    if (options.noWait) bars.stop();
  }
  if (options.noWait) {
    io.out.write(
      `import ${accepted.id} accepted; follow it with GET /v1/apps/${options.appId}/imports/${accepted.id}\n`,
    );
    return 0;
  }

  const processing = bars.create(size, 0, { label: 'process', detail: 'waiting' });
  let status: ImportStatus;
  for (;;) {
    status = await io.api.request<ImportStatus>(
      'GET',
      `/v1/apps/${encodeURIComponent(options.appId)}/imports/${accepted.id}`,
    );
    processing.update(status.bytesRead, {
      label: 'process',
      detail: `${status.processed} written, ${status.failed} rejected`,
    });
    if (status.status === 'COMPLETED' || status.status === 'FAILED') break;
    await (io.sleep ?? sleep)(io.pollMs ?? 500);
  }
  if (status.status === 'COMPLETED') processing.update(size);
  bars.stop();

  const lines = [
    '',
    status.status === 'COMPLETED'
      ? `Imported ${status.processed} endpoint row${status.processed === 1 ? '' : 's'}; ${status.failed} row${status.failed === 1 ? '' : 's'} rejected. (import ${status.id})`
      : `The import failed after ${status.processed} rows: ${status.failureReason ?? 'no reason given'} (import ${status.id})`,
  ];
  if (status.segmentId) lines.push(`Segment: ${status.segmentId}`);
  if (status.errors.length > 0) {
    lines.push('First rejected rows:');
    for (const error of status.errors.slice(0, 10)) {
      lines.push(`  line ${error.row}${error.field ? `, ${error.field}` : ''}: ${error.reason}`);
    }
    if (status.failed > 10)
      lines.push(`  ... ${status.failed - 10} more (GET .../imports/${status.id} lists the first 100)`);
  }
  io.out.write(`${lines.join('\n')}\n`);
  return status.status === 'COMPLETED' ? 0 : 1;
}

function formatOf(file: string): 'csv' | 'ndjson' {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl' || extension === '.json') return 'ndjson';
  throw new Error(
    `cannot tell the format of ${file} from its extension; pass --format csv or --format ndjson`,
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function registerImportCommand(program: Command): void {
  const command = program.command('import').description('import data into a running Herald over its API');
  command
    .command('endpoints <file>')
    .description("import endpoints from a CSV or NDJSON file in Pinpoint's import format")
    .requiredOption('--app <appId>', 'the app to import into')
    .option('--format <format>', 'csv or ndjson (default: from the file extension)')
    .option('--define-segment <name>', 'make an IMPORT segment of the imported endpoints')
    .option('--no-wait', 'return once the file is uploaded')
    .option('--url <url>', "Herald's base URL (default: HERALD_PUBLIC_URL, or http://host:port)")
    .option('--api-key <key>', "the app's API key (default: HERALD_API_KEY, else the admin token)")
    .action(
      async (
        file: string,
        flags: {
          app: string;
          format?: string;
          defineSegment?: string;
          wait: boolean;
          url?: string;
          apiKey?: string;
        },
      ) => {
        const format = flags.format;
        if (format !== undefined && format !== 'csv' && format !== 'ndjson') {
          throw new Error('--format is csv or ndjson');
        }
        process.exitCode = await withApiClient(
          flags,
          (io) =>
            importEndpoints(
              {
                file,
                appId: flags.app,
                ...(format ? { format } : {}),
                ...(flags.defineSegment ? { defineSegment: flags.defineSegment } : {}),
                noWait: !flags.wait,
              },
              io,
            ),
          { connections: 2, bodyTimeoutMs: 600_000, headersTimeoutMs: 600_000 },
        );
      },
    );
}
