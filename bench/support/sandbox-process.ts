import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Pool } from 'undici';
import type { BenchContext } from '../scenario.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `herald sandbox` in a process of its own, so a benchmark measures Herald against a provider that does not share
 * its event loop (on a 2-core machine each gets a core).
 */
export interface SandboxProcess {
  readonly url: string;
  /** JSON call to the sandbox's control API. */
  // biome-ignore lint/suspicious/noExplicitAny: control answers are read by path
  control(method: 'GET' | 'POST' | 'PUT', urlPath: string, body?: unknown): Promise<any>;
  readonly pool: Pool;
}

export async function startSandboxProcess(ctx: BenchContext): Promise<SandboxProcess> {
  // HERALD_BENCH_SANDBOX_PROF=<dir> writes the sandbox's CPU profile there (Node refuses --cpu-prof in NODE_OPTIONS).
  const profileDir = process.env.HERALD_BENCH_SANDBOX_PROF;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      '--import',
      'tsx',
      path.join(ROOT, 'src/cli/herald.ts'),
      'sandbox',
      '--port',
      '0',
      '--seed',
      '7',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HERALD_LOG_LEVEL: 'warn' } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /Herald sandbox at (http:\/\/\S+)/.exec(text);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the sandbox exited (${code}) before listening`)));
  });
  const pool = new Pool(url, { connections: 128, pipelining: 1 });
  ctx.onCleanup(async () => {
    await pool.close();
    if (!profileDir) {
      child.kill('SIGKILL');
      return;
    }
    // A profile is written on a clean exit only.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    child.kill('SIGKILL');
  });
  return {
    url,
    pool,
    async control(method, urlPath, body) {
      const response = await pool.request({
        method,
        path: urlPath,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.body.text();
      if (response.statusCode >= 400)
        throw new Error(`sandbox ${method} ${urlPath}: ${response.statusCode} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
  };
}

/** Runs `task` for each of `count` items with at most `concurrency` in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        await task(i);
      }
    }),
  );
}

/**
 * A valid, distinct phone number per index (libphonenumber accepts 650-555-xxxx), scattered over the range as real
 * recipients are: consecutive numbers made consecutive WhatsApp ids (base64 around the number), so every index
 * keyed by them took its inserts at one end, which no real audience does. 1,234,567 is prime to 7,000,000, so
 * the first 7 million indexes still give distinct numbers.
 */
export function benchNumber(i: number): string {
  return `+1650${String(2_000_000 + ((i * 1_234_567) % 7_000_000)).padStart(7, '0')}`;
}
