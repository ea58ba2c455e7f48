import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createHerald, type Herald } from '../../src/main.js';
import { adminHeaders, quietLogger, TEST_ADMIN_TOKEN } from '../helpers/test-herald.js';

/**
 * A load balancer learns that a stopping Herald should get no more traffic from `/readyz`: it must answer 503 while
 * the process drains, not refuse the connection (which balancers read as a network fault, and retry).
 */
describe('stopping Herald', () => {
  let dir: string;
  let herald: Herald | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-shutdown-'));
  });
  afterEach(async () => {
    await herald?.stop();
    herald = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}): Promise<{ herald: Herald; url: string }> {
    const config = loadConfig({
      env: {
        HERALD_DATABASE_URL: `sqlite:${path.join(dir, 'herald.db')}`,
        HERALD_DATA_DIR: path.join(dir, 'data'),
        HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        HERALD_SECRET_KEY: 'test-secret-key-0123456789abcdef',
        HERALD_PORT: '0',
        HERALD_LOG_LEVEL: 'silent',
        ...env,
      },
      cwd: dir,
      fs,
    });
    herald = await createHerald({ config, logger: quietLogger });
    return { herald, url: await herald.listen() };
  }

  /** A request on a connection of its own, as a balancer's probe opens one. */
  async function probe(url: string): Promise<{ status: number; body: unknown }> {
    const response = await request(url, { reset: true });
    return { status: response.statusCode, body: await response.body.json() };
  }

  it('answers /readyz with 503 while a request in flight finishes, /healthz as before, then closes', async () => {
    const { herald, url } = await start();
    const created = await herald.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: adminHeaders,
      payload: { name: 'drain' },
    });
    const { id: appId, apiKey } = created.json() as { id: string; apiKey: string };

    // An upload still being sent: in flight until its body ends.
    const body = new PassThrough();
    const upload = request(`${url}/v1/apps/${appId}/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'text/csv' },
      body,
    });
    // Awaited below; a failure before then must not surface as an unhandled rejection.
    upload.catch(() => {});
    body.write('Id,ChannelType,Address\n');
    const spool = path.join(dir, 'data', 'imports');
    for (let tries = 0; !(fs.existsSync(spool) && fs.readdirSync(spool).length > 0); tries++) {
      if (tries > 500) throw new Error('the upload never reached the spool');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    let stopped = false;
    const stopping = herald.stop().then(() => {
      stopped = true;
    });
    expect(await probe(`${url}/readyz`)).toEqual({
      status: 503,
      body: { error: { code: 'HERALD_UNAVAILABLE', message: 'shutting down' } },
    });
    expect(await probe(`${url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(stopped).toBe(false);

    body.end('e1,CUSTOM,a1\n');
    const answered = await upload;
    expect(answered.statusCode).toBe(202);
    await answered.body.dump();
    await stopping;
    await expect(request(`${url}/healthz`, { reset: true })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('is not held by an open event stream nor by requests already answered', async () => {
    const { herald, url } = await start();
    const created = await request(`${url}/v1/apps`, {
      method: 'POST',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'stream' }),
    });
    const app = (await created.body.json()) as { id: string };
    const stream = await request(`${url}/v1/apps/${app.id}/events/stream`, { headers: adminHeaders });
    expect(stream.statusCode).toBe(200);
    stream.body.on('data', () => {});
    stream.body.on('error', () => {});
    const began = Date.now();
    await herald.stop();
    // The in-flight wait and the force-close after it are 5 s each: neither was waited for.
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  it('keeps answering for HERALD_SHUTDOWN_DRAIN_MS when nothing is in flight, /readyz with 503', async () => {
    const { herald, url } = await start({ HERALD_SHUTDOWN_DRAIN_MS: '800' });
    expect(await probe(`${url}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
    const began = Date.now();
    const stopping = herald.stop();
    expect((await probe(`${url}/readyz`)).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await probe(`${url}/readyz`)).status).toBe(503);
    expect((await probe(`${url}/healthz`)).status).toBe(200);
    await stopping;
    expect(Date.now() - began).toBeGreaterThanOrEqual(750);
    await expect(request(`${url}/readyz`, { reset: true })).rejects.toThrow(/ECONNREFUSED/);
  });
});
