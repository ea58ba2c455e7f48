/**
 * Campaign fan-out: a segment of `size` endpoints (1,000,000 by default), a custom-delivery campaign to a sandbox
 * receiver at an unlimited rate. The set-up (app, endpoints written straight into the tables, segment, campaign)
 * happens in this process; the run itself in the compiled engine in a process of its own
 * (`support/engine-child.mjs`), so its peak memory is Herald's alone, and the sandbox in a third (it keeps
 * per-recipient counters). Measures the fan-out (endpoints enqueued per second, with the senders not started yet),
 * then the sending (messages the receiver accepted per second), and the engine's peak memory over both.
 *
 * Runs in the harness (`npm run bench -- --only campaign-fanout`) or on its own after `npm run build`:
 * `npx tsx bench/scenarios/campaign-fanout.ts [size] [sqlite|postgres]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import type { Herald } from '../../src/main.js';
import type { EndpointRow } from '../../src/storage/audience-sql.js';
import { audienceSqlFor } from '../../src/storage/audience-sql-for.js';
import type { BenchContext, BenchFigure, BenchScenario } from '../scenario.js';
import { startBenchHerald } from '../support/bench-herald.js';
import { startEngineProcess } from '../support/engine-process.js';
import { startSandboxProcess } from '../support/sandbox-process.js';

export const campaignFanoutScenario: BenchScenario = {
  name: 'campaign-fanout',
  description: 'a campaign to N endpoints through a custom channel to the sandbox at an unlimited rate',
  defaultSize: 1_000_000,
  async run(ctx) {
    return runCampaignFanout(ctx);
  },
};

export async function runCampaignFanout(
  ctx: BenchContext,
  options: { readonly send?: boolean } = {},
): Promise<BenchFigure[]> {
  // Set-up in this process: the app, the endpoints (straight into the tables), the segment and the campaign.
  const setup = await startBenchHerald(ctx, 'campaign-fanout');
  const app = await setup.request<{ id: string }>('POST', '/v1/apps', { name: 'bench' });
  const appId = app.id;
  ctx.log(`writing ${ctx.size} endpoints`);
  const writeStarted = performance.now();
  await writeEndpoints(setup.herald, appId, ctx.size, (done) => ctx.log(`  ${done} endpoints written`));
  ctx.log(`endpoints written in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s`);
  const segment = await setup.request<{ id: string }>('POST', `/v1/apps/${appId}/segments`, {
    name: 'everyone',
  });
  const sandbox = await startSandboxProcess(ctx);
  const receiver = (await sandbox.control('POST', '/custom/_control/receivers', {})) as {
    deliveryUri: string;
  };
  const campaign = await setup.request<{ id: string }>('POST', `/v1/apps/${appId}/campaigns`, {
    name: 'fan-out',
    segmentId: segment.id,
    message: {
      channelType: 'CUSTOM',
      deliveryUri: receiver.deliveryUri,
      endpointTypes: ['CUSTOM', 'SMS', 'WHATSAPP'],
      data: '{"template":"bench"}',
    },
    limits: { messagesPerSecond: 20_000 },
  });
  await setup.herald.stop();

  // The run, by the compiled engine in a process of its own: its memory is Herald's alone.
  const engine = await startEngineProcess(ctx, setup.env);
  const call = caller(engine.url, setup.env.HERALD_ADMIN_TOKEN ?? '');
  const before = await engine.command<{ rssMb: number }>('resetPeak');
  // The fan-out alone: the senders are not started yet.
  const fanOut = await engine.command<{ seconds: number; cpuSeconds: number }>('fanOut');
  const [activity] = (
    await call<{ items: { id: string; queued: number; totalEndpoints: number }[] }>(
      'GET',
      `/v1/apps/${appId}/campaigns/${campaign.id}/activities`,
    )
  ).items;
  if (!activity || activity.queued !== ctx.size)
    throw new Error(`the run queued ${activity?.queued} of ${ctx.size} endpoints`);
  const afterFanOut = await engine.command<{
    rssMb: number;
    peakMb: number;
    heapUsedMb: number;
    heapTotalMb: number;
  }>('memory');
  ctx.log(
    `fan-out: ${ctx.size} endpoints in ${fanOut.seconds.toFixed(1)} s (CPU ${fanOut.cpuSeconds.toFixed(1)} s); engine RSS ${afterFanOut.rssMb.toFixed(0)} MB, peak ${afterFanOut.peakMb.toFixed(0)} MB, JS heap ${afterFanOut.heapUsedMb.toFixed(0)} of ${afterFanOut.heapTotalMb.toFixed(0)} MB`,
  );
  const fanOutFigure: BenchFigure = {
    name: 'fan-out, endpoints enqueued per second',
    value: ctx.size / fanOut.seconds,
    unit: 'endpoints/s',
    better: 'higher',
    ...(ctx.database === 'sqlite' ? { target: 20_000 } : {}),
    notes: `${ctx.size} endpoints in ${fanOut.seconds.toFixed(1)} s, ${fanOut.cpuSeconds.toFixed(1)} s of CPU (pages of 1,000: segment read, treatment, checks, messages + jobs)`,
  };
  const memoryFigures = (peakMb: number, phase: string): BenchFigure[] => [
    {
      name: 'engine peak memory (RSS)',
      value: peakMb,
      unit: 'MB',
      better: 'lower',
      target: 300,
      notes: `the compiled engine in its own process, with the Node flags of \`npm start\` (--max-old-space-size=1024), over the ${phase}; RSS before the campaign ${before.rssMb.toFixed(0)} MB (${ctx.database === 'sqlite' ? "SQLite's page cache up to 64 MB; " : ''}the sandbox in its own process)`,
    },
    {
      name: 'engine memory growth during the campaign',
      value: peakMb - before.rssMb,
      unit: 'MB',
      better: 'lower',
      notes:
        'peak RSS minus RSS before the campaign: what fan-out and sending add, whatever the audience size',
    },
  ];
  if (options.send === false) {
    await engine.stop();
    return [fanOutFigure, ...memoryFigures(afterFanOut.peakMb, 'fan-out')];
  }

  // Then the sending, by the delivery engine.
  const sendStarted = performance.now();
  await engine.command('startWorkers');
  let sent = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    const [now] = (
      await call<{ items: { sent: number; pending: number; failed: Record<string, number> }[] }>(
        'GET',
        `/v1/apps/${appId}/campaigns/${campaign.id}/activities?limit=1`,
      )
    ).items;
    sent = now?.sent ?? 0;
    const memory = await engine.command<{
      rssMb: number;
      heapUsedMb: number;
      heapTotalMb: number;
      externalMb: number;
    }>('memory');
    ctx.log(
      `sent ${sent} of ${ctx.size}; engine RSS ${memory.rssMb.toFixed(0)} MB, JS heap ${memory.heapUsedMb.toFixed(0)} of ${memory.heapTotalMb.toFixed(0)} MB, external ${memory.externalMb.toFixed(0)} MB`,
    );
    if ((now?.pending ?? 1) === 0) break;
    if ((performance.now() - sendStarted) / 1000 > 3_600) throw new Error('sending took over an hour');
  }
  const sendSeconds = (performance.now() - sendStarted) / 1000;
  const { peakMb } = await engine.command<{ peakMb: number }>('memory');
  await engine.stop();
  return [
    fanOutFigure,
    {
      name: 'sending, messages accepted per second',
      value: sent / sendSeconds,
      unit: 'messages/s',
      better: 'higher',
      notes: `${sent} to the sandbox's custom receiver in batches of 50, in ${sendSeconds.toFixed(1)} s`,
    },
    ...memoryFigures(peakMb, 'fan-out and the sending'),
  ];
}

/** JSON calls with the admin token to the engine's API. */
function caller(base: string, token: string) {
  return async <T>(method: 'GET' | 'POST' | 'PUT', urlPath: string, body?: unknown): Promise<T> => {
    const response = await request(`${base}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw new Error(`${method} ${urlPath}: ${response.statusCode} ${text}`);
    return JSON.parse(text) as T;
  };
}

/** Endpoints straight into the table, 1,000 rows per statement: setting up, not what is measured. */
async function writeEndpoints(
  herald: Herald,
  appId: string,
  count: number,
  progress: (done: number) => void,
): Promise<void> {
  const { db, dialect } = herald.database;
  const audience = audienceSqlFor(dialect);
  const cities = ['Seattle', 'Tokyo', 'Paris', 'Lagos', 'Lima'];
  for (let start = 0; start < count; start += 1000) {
    const rows: EndpointRow[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      rows.push({
        app_id: appId,
        id: `ep-${String(i).padStart(8, '0')}`,
        channel_type: 'CUSTOM',
        address: `user-${i}@example.com`,
        active: 1,
        opt_out: 0,
        effective_date: null,
        request_id: null,
        user_id: `u-${i}`,
        country: 'US',
        city: cities[i % cities.length] as string,
        region: null,
        postal_code: null,
        latitude: null,
        longitude: null,
        locale: 'en_US',
        timezone: null,
        platform: 'android',
        platform_version: null,
        make: null,
        model: null,
        model_version: null,
        app_version: null,
        attributes: audience.json({ Interests: ['Music'] }),
        metrics: audience.json({ sessions: i % 20 }),
        user_attributes: audience.json({ FirstName: [`Name${i}`] }),
        attribute_times: null,
        user_attribute_times: null,
        last_active_at: null,
        created_at: 0,
        updated_at: 0,
      });
    }
    await db.transaction().execute((trx) => audience.writeEndpointRows(trx, rows));
    if ((start + 1000) % 100_000 === 0) progress(start + 1000);
  }
  await audience.afterBulkWrite(db, count);
}

// On its own: `npx tsx bench/scenarios/campaign-fanout.ts [size] [sqlite|postgres]`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const size = Number(process.argv[2] ?? campaignFanoutScenario.defaultSize);
  const database = process.argv[3] === 'postgres' ? 'postgres' : 'sqlite';
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  const cleanups: (() => Promise<void>)[] = [];
  const ctx: BenchContext = {
    size,
    database,
    workDir,
    log: (message) => process.stderr.write(`[campaign-fanout] ${message}\n`),
    shared: new Map(),
    onCleanup: (cleanup) => {
      cleanups.push(cleanup);
    },
  };
  try {
    for (const figure of await runCampaignFanout(ctx))
      process.stdout.write(
        `${figure.name}: ${figure.value.toFixed(1)} ${figure.unit}${figure.target ? ` (target ${figure.target})` : ''}\n`,
      );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
