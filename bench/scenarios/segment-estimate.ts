import { sql } from 'kysely';
import type { BenchContext, BenchFigure, BenchScenario } from '../scenario.js';
import { datasetKey, type ImportedDataset, importDataset } from './import-csv.js';

/** The segment the target is about: three dimensions over the promoted columns and the JSON attributes. */
export const THREE_DIMENSIONS = {
  demographic: { channel: { dimensionType: 'INCLUSIVE', values: ['WHATSAPP', 'SMS'] } },
  location: { country: { dimensionType: 'INCLUSIVE', values: ['US', 'CA', 'GB'] } },
  attributes: { Interests: { attributeType: 'INCLUSIVE', values: ['Music'] } },
};

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await run();
  return { ms: performance.now() - started, result };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export const segmentEstimateScenario: BenchScenario = {
  name: 'segment-estimate',
  description: 'GET .../segments/{id}/estimate of a three-dimension segment over the imported endpoints',
  defaultSize: 1_000_000,
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    let dataset = ctx.shared.get(datasetKey(ctx.database, ctx.size)) as ImportedDataset | undefined;
    if (!dataset) {
      ctx.log('importing the endpoints first (not timed here)');
      dataset = await importDataset(ctx);
    }
    const { env, appId } = dataset;
    const segment = await env.request<{ id: string }>('POST', `/v1/apps/${appId}/segments`, {
      name: 'WhatsApp or SMS, US/CA/GB, into music',
      dimensions: THREE_DIMENSIONS,
    });
    const estimates: number[] = [];
    let count = 0;
    for (let i = 0; i < 5; i++) {
      const { ms, result } = await timed(() =>
        env.request<{ count: number }>('GET', `/v1/apps/${appId}/segments/${segment.id}/estimate`),
      );
      estimates.push(ms);
      count = result.count;
    }
    const db = env.herald.database.db;
    const scans: number[] = [];
    for (let i = 0; i < 3; i++) {
      scans.push(
        (await timed(() => sql`select count(*) from endpoints where app_id = ${appId}`.execute(db))).ms,
      );
    }
    ctx.log(`estimate ${count}: ${estimates.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    return [
      {
        name: 'estimate, median of 5',
        value: median(estimates),
        unit: 'ms',
        better: 'lower',
        target: 1000,
        baseline: { name: "count(*) of the app's endpoints", value: median(scans) },
        notes: `count ${count}; slowest ${Math.max(...estimates).toFixed(0)} ms (first call included)`,
      },
    ];
  },
};
