import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HeraldConfig, loadConfig } from '../../src/config/load-config.js';
import { createHerald, type Herald, type HeraldOptions } from '../../src/main.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Logger } from '../../src/ports/logger.js';
import { createLogger } from '../../src/runtime/create-logger.js';
import type { TestDatabase } from './test-database.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A configuration for tests: its own data directory, a fixed admin token, quiet logs. */
export function testConfig(db: TestDatabase, env: Record<string, string> = {}): HeraldConfig {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-data-'));
  return loadConfig({
    env: {
      HERALD_DATABASE_URL: db.config.url,
      HERALD_DATA_DIR: dataDir,
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_SECRET_KEY: 'test-secret-key-0123456789abcdef',
      HERALD_PORT: '0',
      HERALD_LOG_LEVEL: process.env.HERALD_TEST_LOG_LEVEL ?? 'silent',
      ...env,
    },
    cwd: dataDir,
    fs,
  });
}

export const quietLogger: Logger = createLogger({ level: process.env.HERALD_TEST_LOG_LEVEL ?? 'silent' });

/** A Herald on the test database, ready for `server.inject()`. */
export async function createTestHerald(
  db: TestDatabase,
  options: Partial<Omit<HeraldOptions, 'config' | 'database'>> & {
    env?: Record<string, string>;
    clock?: Clock;
  } = {},
): Promise<Herald> {
  const { env, ...rest } = options;
  return createHerald({ config: testConfig(db, env), database: db, logger: quietLogger, ...rest });
}

export const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** Creates an app through the API and returns its id and key. */
export async function createTestApp(
  herald: Herald,
  name = 'test-app',
): Promise<{ appId: string; apiKey: string; headers: Record<string, string> }> {
  const response = await herald.server.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: adminHeaders,
    payload: { name },
  });
  if (response.statusCode !== 201) throw new Error(`creating the test app failed: ${response.body}`);
  const body = response.json() as { id: string; apiKey: string };
  return { appId: body.id, apiKey: body.apiKey, headers: { authorization: `Bearer ${body.apiKey}` } };
}
