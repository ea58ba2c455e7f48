import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { HeraldConfig } from '../../src/config/load-config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `herald worker` (or `herald serve`) in a child process on the same database and secrets as `config`, run from the TypeScript
 * sources. `kill('SIGKILL')` is a crash; `stop()` a graceful shutdown.
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(
    config: HeraldConfig,
    env: Record<string, string> = {},
    command: 'worker' | 'serve' = 'worker',
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/herald.ts'), command], {
      // tsx resolves from the working directory; every path Herald needs is absolute in the environment.
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HERALD_DATABASE_URL: config.database.url,
        HERALD_DATA_DIR: config.dataDir,
        HERALD_ADMIN_TOKEN: config.adminToken,
        HERALD_SECRET_KEY: config.secretKey,
        HERALD_LOG_LEVEL: process.env.HERALD_TEST_LOG_LEVEL ?? 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** What the worker printed (the last 20 kB), for failure messages. */
  get log(): string {
    return this.output;
  }

  kill(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  private capture(chunk: Buffer): void {
    this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
  }
}
