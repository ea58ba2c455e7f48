import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createHerald, type Herald } from '../../src/main.js';
import { quoteIdent } from '../../src/storage/postgres/connect.js';
import { TEST_POSTGRES_URL, withSearchPath } from '../helpers/test-database.js';
import { adminHeaders, quietLogger, TEST_ADMIN_TOKEN } from '../helpers/test-herald.js';

/** A TCP relay to PostgreSQL that the test can cut (an outage) and bring back on the same port. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async up(): Promise<void> {
    if (this.server) return;
    const target = new URL(TEST_POSTGRES_URL);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** The server vanishes without a word: connections are taken and never answered (a partition, a dead address). */
  blackhole(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server?.removeAllListeners('connection');
    this.server?.on('connection', (client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => {});
    });
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('PostgreSQL unavailable', () => {
  const relay = new Relay();
  let herald: Herald | undefined;
  let schema: string | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await relay.up();
    await herald?.stop();
    await relay.down();
    if (schema) {
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
      await admin.end();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A Herald on PostgreSQL through the relay, an app, and a request that reads the database. */
  async function startThroughRelay(query: Record<string, string> = {}) {
    schema = `u_${randomBytes(5).toString('hex')}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-unavailable-'));
    await relay.up();
    const url = new URL(TEST_POSTGRES_URL);
    url.host = `127.0.0.1:${relay.port}`;
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`create schema ${quoteIdent(schema)}`);
    await admin.end();
    const config = loadConfig({
      env: {
        HERALD_DATABASE_URL: withSearchPath(url.toString(), schema),
        HERALD_DATA_DIR: dir,
        HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        HERALD_SECRET_KEY: 'test-secret-key-0123456789abcdef',
        HERALD_PORT: '0',
        HERALD_LOG_LEVEL: 'silent',
        HERALD_WORKERS: 'false',
      },
      cwd: dir,
      fs,
    });
    herald = await createHerald({ config, logger: quietLogger });
    const created = await herald.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: adminHeaders,
      payload: { name: 'outage' },
    });
    expect(created.statusCode).toBe(201);
    const { id: appId, apiKey } = created.json() as { id: string; apiKey: string };
    const list = () =>
      herald?.server.inject({
        method: 'GET',
        url: `/v1/apps/${appId}/endpoints`,
        headers: { authorization: `Bearer ${apiKey}` },
      });

    return { list };
  }

  it('answers 503 HERALD_UNAVAILABLE (retryable) while the database cannot be reached, and serves again after', async () => {
    const { list } = await startThroughRelay();
    await relay.down();
    // Connections cut under the pool (a failover, a restart), and new ones refused.
    const refused = await list();
    expect(refused?.statusCode).toBe(503);
    expect(refused?.json()).toEqual({
      error: { code: 'HERALD_UNAVAILABLE', message: 'the database is unavailable; try again shortly' },
    });
    const ready = await herald?.server.inject({ method: 'GET', url: '/readyz' });
    expect(ready?.statusCode).toBe(503);

    await relay.up();
    const again = await list();
    expect(again?.statusCode).toBe(200);
  });

  it('answers 503 instead of hanging when the server stops answering (a partition)', async () => {
    const { list } = await startThroughRelay({ connect_timeout: '1' });
    relay.blackhole();
    // The pool hears its idle connections cut and drops them: the request needs a new one, which is never answered.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const hung = await list();
    expect(hung?.statusCode).toBe(503);
    expect(hung?.json()).toMatchObject({ error: { code: 'HERALD_UNAVAILABLE' } });
    // After connect_timeout (1 s), not when the operating system gives up (minutes).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5_000);

    await relay.down();
    await relay.up();
    const again = await list();
    expect(again?.statusCode).toBe(200);
  });
});
