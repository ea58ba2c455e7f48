import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('herald worker', () => {
  it('on SQLite starts, warns that it adds no throughput there, and stops on SIGTERM', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-worker-'));
    dirs.push(cwd);
    const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'src/cli/herald.ts'), 'worker'], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HERALD_DATA_DIR: path.join(cwd, 'data'),
        HERALD_DATABASE_URL: `sqlite:${path.join(cwd, 'h.db')}`,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!output.includes('worker started') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; database?: string });
    expect(lines.find((l) => l.msg === 'worker started')).toMatchObject({ database: 'sqlite' });
    const warning = lines.find((l) => l.level === 40);
    expect(warning?.msg).toMatch(/adds no throughput.*scale out on PostgreSQL/);
  }, 60_000);
});
