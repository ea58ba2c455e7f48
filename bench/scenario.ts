/**
 * A benchmark scenario: one file in `bench/scenarios/`, listed in `bench/scenarios/index.ts`. `npm run bench`
 * runs each selected scenario once per selected database and prints and saves the figures it returns.
 *
 * @example
 * export const pingScenario: BenchScenario = {
 *   name: 'ping',
 *   description: 'GET /healthz over loopback',
 *   defaultSize: 10_000,
 *   async run(ctx) {
 *     const env = await startBenchHerald(ctx);
 *     const started = performance.now();
 *     for (let i = 0; i < ctx.size; i++) await env.request('GET', '/healthz');
 *     const perSecond = ctx.size / ((performance.now() - started) / 1000);
 *     return [{ name: 'requests', value: perSecond, unit: 'req/s', better: 'higher' }];
 *   },
 * };
 */
export interface BenchScenario {
  /** What `--only` selects. */
  readonly name: string;
  readonly description: string;
  /** `--size` when not given. */
  readonly defaultSize: number;
  /** Which databases the scenario runs on. Default: both. */
  readonly databases?: readonly BenchDatabase[];
  run(ctx: BenchContext): Promise<BenchFigure[]>;
}

export type BenchDatabase = 'sqlite' | 'postgres';

/**
 * What a scenario is given.
 *
 * @example
 * ctx.log(`importing ${ctx.size} endpoints into ${ctx.database}`);
 */
export interface BenchContext {
  readonly size: number;
  readonly database: BenchDatabase;
  /** A directory of the run's own, removed at the end. */
  readonly workDir: string;
  /** Progress lines (stderr). */
  log(message: string): void;
  /**
   * State scenarios of the same run share, by key: a later scenario may reuse what an earlier one built (the
   * estimate scenario uses the endpoints the import scenario imported, when both run).
   */
  readonly shared: Map<string, unknown>;
  /** Runs at the end of the whole run, last registered first. */
  onCleanup(cleanup: () => Promise<void>): void;
}

/**
 * One measured number.
 *
 * @example
 * { name: 'import rows/s', value: 45_961, unit: 'rows/s', better: 'higher', target: 50_000, baseline: { name: 'raw insert', value: 102_107 } }
 */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  /** The goal: at least (higher) or at most (lower) this. */
  readonly target?: number;
  /**
   * What the figure is compared with, measured in the same run on the same machine (raw database insert, a full
   * count): the report shows value / baseline.
   */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** Anything else worth keeping with the figure (row counts, the segment...). */
  readonly notes?: string;
}
