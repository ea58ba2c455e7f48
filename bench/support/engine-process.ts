import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BenchContext } from '../scenario.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(ROOT, 'bench/support/engine-child.mjs');

/**
 * The Node flags Herald runs with in `npm start` (its heap cap), so the engine measured is the engine users run.
 * Override with HERALD_BENCH_ENGINE_FLAGS (its own `--max-old-space-size` wins, as the last one given does).
 */
function startFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return pkg.scripts.start?.match(/--max-old-space-size=\d+/g) ?? [];
}

/**
 * Herald's compiled engine in a process of its own (`engine-child.mjs`), for the figures that must be the engine's
 * alone: its peak memory, and its CPU time. Needs `npm run build` (which `npm run bench` runs first).
 *
 * @example
 * const engine = await startEngineProcess(ctx, { HERALD_DATABASE_URL: url, HERALD_DATA_DIR: dir });
 * const { seconds } = await engine.command<{ seconds: number }>('fanOut');
 * const { peakMb } = await engine.command<{ peakMb: number }>('memory');
 */
export interface EngineProcess {
  readonly url: string;
  command<T>(cmd: 'fanOut' | 'startWorkers' | 'memory' | 'resetPeak' | 'cpu'): Promise<T>;
  /** Stops Herald and waits for the process to exit (a CPU profile is written then). */
  stop(): Promise<void>;
}

export async function startEngineProcess(
  ctx: BenchContext,
  env: Record<string, string>,
): Promise<EngineProcess> {
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js')))
    throw new Error('dist/ is missing: run `npm run build` first (`npm run bench` does)');
  const child: ChildProcess = fork(CHILD, [], {
    // More Node flags for the engine only, to profile it: HERALD_BENCH_ENGINE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p'.
    execArgv: [...startFlags(), ...(process.env.HERALD_BENCH_ENGINE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    cwd: env.HERALD_DATA_DIR ?? ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the engine exited (${code}) before listening`)));
    child.on(
      'message',
      (message: {
        ready?: boolean;
        url?: string;
        id?: number;
        ok?: boolean;
        result?: unknown;
        error?: string;
      }) => {
        if (message.ready && message.url) resolve(message.url);
        if (message.id === undefined) return;
        const waiter = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.ok) waiter?.resolve(message.result);
        else waiter?.reject(new Error(`engine: ${message.error}`));
      },
    );
  });
  child.on('exit', (code) => {
    for (const waiter of waiting.values()) waiter.reject(new Error(`the engine exited (${code})`));
    waiting.clear();
  });
  ctx.onCleanup(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const command = <T>(cmd: string): Promise<T> => {
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd });
    });
  };
  return {
    url,
    command,
    async stop() {
      await command('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    },
  };
}
