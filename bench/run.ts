/**
 * `npm run bench [-- --only a,b] [--size N] [--db sqlite|postgres|both] [--list]`: runs the scenarios of
 * `bench/scenarios/`, prints a table and saves the figures with the machine they were measured on under
 * `bench/results/`. Benchmarks, not tests: CI does not run them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { BenchContext, BenchDatabase, BenchFigure } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { BENCH_POSTGRES_URL } from './support/bench-herald.js';

interface FigureResult extends BenchFigure {
  readonly scenario: string;
  readonly database: BenchDatabase;
  readonly size: number;
  /** value / baseline. */
  readonly ratio?: number;
  readonly met?: boolean;
}

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    size: { type: 'string' },
    db: { type: 'string', default: 'both' },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const s of SCENARIOS)
    process.stdout.write(`${s.name.padEnd(20)} ${s.description} (size ${s.defaultSize})\n`);
  process.exit(0);
}

const only = values.only?.split(',').map((s) => s.trim());
const selected = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0 || selected.length === 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; --list shows them\n`);
  process.exit(2);
}
const databases: BenchDatabase[] =
  values.db === 'both'
    ? ['sqlite', 'postgres']
    : values.db === 'sqlite' || values.db === 'postgres'
      ? [values.db]
      : [];
if (databases.length === 0) {
  process.stderr.write('--db is sqlite, postgres or both\n');
  process.exit(2);
}
const size = values.size === undefined ? undefined : Number(values.size.replaceAll('_', ''));
if (size !== undefined && (!Number.isInteger(size) || size <= 0)) {
  process.stderr.write('--size is a positive integer\n');
  process.exit(2);
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
const cleanups: (() => Promise<void>)[] = [];
const shared = new Map<string, unknown>();
const results: FigureResult[] = [];
const startedAt = new Date();
const loadBefore = os.loadavg();

try {
  for (const database of databases) {
    for (const scenario of selected) {
      if (scenario.databases && !scenario.databases.includes(database)) continue;
      const ctx: BenchContext = {
        size: size ?? scenario.defaultSize,
        database,
        workDir,
        log: (m) => log(`${scenario.name} [${database}] ${m}`),
        shared,
        onCleanup: (cleanup) => cleanups.push(cleanup),
      };
      log(`${scenario.name} [${database}] size ${ctx.size.toLocaleString('en-US')}`);
      for (const figure of await scenario.run(ctx)) {
        results.push({
          ...figure,
          scenario: scenario.name,
          database,
          size: ctx.size,
          ...(figure.baseline ? { ratio: figure.value / figure.baseline.value } : {}),
          ...(figure.target !== undefined
            ? {
                met:
                  figure.better === 'higher' ? figure.value >= figure.target : figure.value <= figure.target,
              }
            : {}),
        });
      }
    }
    // Free one database's Herald (and its memory) before the next.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    shared.clear();
  }
} finally {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  fs.rmSync(workDir, { recursive: true, force: true });
}

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  loadAverage: { before: loadBefore.map(round2), after: os.loadavg().map(round2) },
};
const versions = await databaseVersions(databases);

const table = [
  ['scenario', 'db', 'size', 'figure', 'value', 'target', 'met', 'baseline', 'ratio'],
  ...results.map((r) => [
    r.scenario,
    r.database,
    r.size.toLocaleString('en-US'),
    r.name,
    `${format(r.value)} ${r.unit}`,
    r.target === undefined ? '' : `${r.better === 'higher' ? '>=' : '<='} ${format(r.target)}`,
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    r.baseline ? `${format(r.baseline.value)} (${r.baseline.name})` : '',
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
  ]),
];
const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
process.stdout.write(
  `\n${table
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`,
);
for (const r of results) if (r.notes) process.stdout.write(`  ${r.scenario} [${r.database}]: ${r.notes}\n`);
process.stdout.write(
  `\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverage.before.join('/')} before, ${machine.loadAverage.after.join('/')} after\n`,
);
process.stdout.write(
  `databases: ${Object.entries(versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}\n`,
);

const resultsDir = path.join(import.meta.dirname, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const file = path.join(
  resultsDir,
  `${startedAt.toISOString().replaceAll(':', '-').replace(/\..*/, '')}-${selected.map((s) => s.name).join('+')}.json`,
);
fs.writeFileSync(
  file,
  `${JSON.stringify({ startedAt: startedAt.toISOString(), machine, databases: versions, results }, null, 2)}\n`,
);
process.stdout.write(`saved ${path.relative(process.cwd(), file)}\n`);

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

async function databaseVersions(used: BenchDatabase[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (used.includes('sqlite')) {
    const db = new SQLite(':memory:');
    out.sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
    db.close();
  }
  if (used.includes('postgres')) {
    const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
    await client.connect();
    out.postgresql = (
      (await client.query('show server_version')).rows[0] as { server_version: string }
    ).server_version;
    await client.end();
  }
  return out;
}
