import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { createHerald, type Herald } from '../../src/main.js';
import { createLogger } from '../../src/runtime/create-logger.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { quoteIdent } from '../../src/storage/postgres/connect.js';
import type { BenchContext } from '../scenario.js';

export const BENCH_POSTGRES_URL =
  process.env.HERALD_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/**
 * A Herald of the benchmark's own (its SQLite file or PostgreSQL schema), listening on loopback.
 *
 * @example
 * const env = await startBenchHerald(ctx, 'import');
 * const app = await env.request<{ id: string }>('POST', '/v1/apps', { name: 'bench' });
 */
export interface BenchHerald {
  readonly herald: Herald;
  readonly url: string;
  /** Its HERALD_* environment, for another process (the engine of `engine-process.ts`) to open the same database. */
  readonly env: Readonly<Record<string, string>>;
  /** JSON request with the admin token; throws on an error answer. */
  request<T>(method: 'GET' | 'POST' | 'PUT', urlPath: string, body?: unknown): Promise<T>;
  /** Streams a file body. */
  upload<T>(urlPath: string, body: Readable, contentType: string, length: number): Promise<T>;
}

export async function startBenchHerald(ctx: BenchContext, label: string): Promise<BenchHerald> {
  const dir = path.join(ctx.workDir, `${label}-${ctx.database}`);
  fs.mkdirSync(dir, { recursive: true });
  let databaseUrl: string;
  if (ctx.database === 'sqlite') {
    databaseUrl = `sqlite:${path.join(dir, 'herald.db')}`;
  } else {
    const schema = `bench_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
    await admin.connect();
    await admin.query(`create schema ${quoteIdent(schema)}`);
    await admin.end();
    const parsed = new URL(BENCH_POSTGRES_URL);
    parsed.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = parsed.toString();
    ctx.onCleanup(async () => {
      const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
      await client.end();
    });
  }
  const env: Record<string, string> = {
    HERALD_DATABASE_URL: databaseUrl,
    HERALD_DATA_DIR: dir,
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    HERALD_SECRET_KEY: 'bench-secret-key-0123456789abcdef',
    HERALD_PORT: '0',
    HERALD_LOG_LEVEL: process.env.HERALD_BENCH_LOG_LEVEL ?? 'warn',
    HERALD_WORKERS: 'false',
  };
  const config = loadConfig({
    env,
    cwd: dir,
    fs,
  });
  const herald = await createHerald({ config, logger: createLogger({ level: config.logLevel }) });
  const url = await herald.listen();
  const pools = createHttpPools({ connections: 4, headersTimeoutMs: 600_000, bodyTimeoutMs: 600_000 });
  const pool = pools.pool(url);
  ctx.onCleanup(async () => {
    await pools.close();
    await herald.stop();
  });

  const call = async <T>(
    method: 'GET' | 'POST' | 'PUT',
    urlPath: string,
    headers: Record<string, string>,
    body?: string | Readable,
  ): Promise<T> => {
    const response = await pool.request({
      method,
      path: urlPath,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw new Error(`${method} ${urlPath}: ${response.statusCode} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    herald,
    url,
    env,
    request: (method, urlPath, body) =>
      call(
        method,
        urlPath,
        body === undefined ? {} : { 'content-type': 'application/json' },
        body === undefined ? undefined : JSON.stringify(body),
      ),
    upload: (urlPath, body, contentType, length) =>
      call('POST', urlPath, { 'content-type': contentType, 'content-length': String(length) }, body),
  };
}
