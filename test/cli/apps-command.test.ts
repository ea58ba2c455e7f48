import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** `herald <args>` from the TypeScript sources, in `cwd`, with only the given HERALD_* variables. */
async function herald(cwd: string, args: string[], env: Record<string, string> = {}) {
  // tsx by path: it would be looked up from the working directory, a temporary one here.
  const tsx = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  return run(process.execPath, ['--import', tsx, path.join(ROOT, 'src/cli/herald.ts'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
  dirs.push(dir);
  return dir;
}

describe('herald migrate and herald apps', () => {
  it('work on the database directly and leave no generated secrets behind', async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, 'data');
    const env = { HERALD_DATA_DIR: dataDir, HERALD_DATABASE_URL: `sqlite:${path.join(cwd, 'h.db')}` };

    const migrated = await herald(cwd, ['migrate'], env);
    expect(migrated.stdout).toMatch(/^applied 0001-apps\n/);
    expect((await herald(cwd, ['migrate'], env)).stdout).toBe('schema is up to date\n');
    const created = await herald(cwd, ['apps', 'create', 'Shop', '--json'], env);
    const app = JSON.parse(created.stdout) as { id: string; name: string; apiKey: string };
    expect(app).toMatchObject({ id: expect.stringMatching(/^[0-9a-z]{26}$/), name: 'Shop' });
    expect(app.apiKey.length).toBeGreaterThan(20);
    const listed = await herald(cwd, ['apps', 'list'], env);
    expect(listed.stdout).toBe(`${app.id}  Shop\n`);

    // The admin token and secret key belong to the server: a `serve` started later generates them, and a
    // different pair left here by an admin command would not be the one it uses elsewhere.
    const left = fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : [];
    expect(left).not.toContain('admin-token');
    expect(left).not.toContain('secret-key');
  }, 60_000);

  it('refuses app names the API refuses', async () => {
    const cwd = tempDir();
    const env = {
      HERALD_DATA_DIR: path.join(cwd, 'data'),
      HERALD_DATABASE_URL: `sqlite:${path.join(cwd, 'h.db')}`,
    };
    for (const name of ['', '   ', 'x'.repeat(129)]) {
      const failed = await herald(cwd, ['apps', 'create', name], env).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code, JSON.stringify(name)).toBe(2);
      expect(failed?.stderr).toContain('1 to 128 characters');
    }
    expect((await herald(cwd, ['apps', 'list'], env)).stdout).toBe('');
  }, 60_000);

  it('refuses a bad flag value by name before doing anything', async () => {
    const cwd = tempDir();
    const failed = await herald(cwd, ['sandbox', '--port', 'abc']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toMatch(/--port <port>.*'abc' is invalid.*a port/s);
  }, 60_000);
});
