import fs from 'node:fs';
import path from 'node:path';
import type { BenchContext, BenchFigure, BenchScenario } from '../scenario.js';
import { type BenchHerald, startBenchHerald } from '../support/bench-herald.js';
import { writeEndpointCsv } from '../support/endpoint-csv.js';
import { rawInsertRate } from '../support/raw-insert.js';

interface ImportStatus {
  status: string;
  processed: number;
  failed: number;
  errors: { row: number; field?: string; reason: string }[];
  failureReason?: string;
}

/** What the import leaves behind for later scenarios of the run (see `segment-estimate`). */
export interface ImportedDataset {
  readonly env: BenchHerald;
  readonly appId: string;
}

export function datasetKey(database: string, size: number): string {
  return `endpoints:${database}:${size}`;
}

/**
 * Imports `size` endpoints through the API exactly as a user would: one CSV upload (streamed to the spool),
 * processed until COMPLETED. Rows/s over the whole thing, from the first byte sent to the job's completion.
 */
export async function importDataset(
  ctx: BenchContext,
): Promise<ImportedDataset & { seconds: number; status: ImportStatus }> {
  const file = path.join(ctx.workDir, `endpoints-${ctx.size}.csv`);
  if (!fs.existsSync(file)) {
    ctx.log(`writing ${ctx.size.toLocaleString('en-US')} endpoints to ${file}`);
    await writeEndpointCsv(file, ctx.size);
  }
  const env = await startBenchHerald(ctx, 'import');
  const app = await env.request<{ id: string }>('POST', '/v1/apps', { name: 'bench' });
  ctx.log(`importing into ${ctx.database}`);
  const started = performance.now();
  const accepted = await env.upload<{ id: string }>(
    `/v1/apps/${app.id}/imports`,
    fs.createReadStream(file, { highWaterMark: 1 << 20 }),
    'text/csv',
    fs.statSync(file).size,
  );
  let status: ImportStatus;
  for (;;) {
    status = await env.request<ImportStatus>('GET', `/v1/apps/${app.id}/imports/${accepted.id}`);
    if (status.status === 'COMPLETED' || status.status === 'FAILED') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  if (status.status !== 'COMPLETED') throw new Error(`the import failed: ${status.failureReason}`);
  const dataset = { env, appId: app.id };
  ctx.shared.set(datasetKey(ctx.database, ctx.size), dataset);
  return { ...dataset, seconds, status };
}

export const importCsvScenario: BenchScenario = {
  name: 'import-csv',
  description: 'Import endpoints from a Pinpoint CSV over the API (upload, parse, validate, write)',
  defaultSize: 1_000_000,
  async run(ctx): Promise<BenchFigure[]> {
    const { seconds, status } = await importDataset(ctx);
    const rows = status.processed + status.failed;
    ctx.log(`imported ${status.processed} rows (${status.failed} rejected) in ${seconds.toFixed(1)} s`);
    ctx.log('measuring the raw insert baseline');
    const baseline = await rawInsertRate(ctx);
    return [
      {
        name: 'import rows/s',
        value: rows / seconds,
        unit: 'rows/s',
        better: 'higher',
        target: ctx.database === 'sqlite' ? 50_000 : 25_000,
        baseline: {
          name: `raw ${ctx.database === 'sqlite' ? 'multi-row insert' : 'COPY'} of the same rows`,
          value: baseline,
        },
        notes: `${status.processed} written, ${status.failed} rejected, ${seconds.toFixed(1)} s${status.errors[0] ? `; first error: line ${status.errors[0].row} ${status.errors[0].field}: ${status.errors[0].reason}` : ''}`,
      },
    ];
  },
};
