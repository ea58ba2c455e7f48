import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpPools } from './undici-http-pools.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A local server that counts the requests that reach it. */
async function counter(): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

describe('createHttpPools', () => {
  it('connects anywhere by default', async () => {
    const { port, hits } = await counter();
    const pools = createHttpPools();
    cleanups.push(() => pools.close());
    const response = await pools.pool(`http://localhost:${port}`).request({ method: 'GET', path: '/' });
    expect(await response.body.text()).toBe('ok');
    expect(hits()).toBe(1);
  });

  it('closes at once when idle, and aborts a request a peer never answers once the grace period is over', async () => {
    const { port } = await counter();
    const silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const pools = createHttpPools({ headersTimeoutMs: 60_000 });
    await (await pools.pool(`http://127.0.0.1:${port}`).request({ method: 'GET', path: '/' })).body.text();
    const hanging = pools
      .pool(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`)
      .request({ method: 'GET', path: '/' });
    const outcome = hanging.then(
      () => 'answered',
      (error: Error) => error.name,
    );
    const started = performance.now();
    await pools.close({ graceMs: 200 });
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(5_000);
    expect(await outcome).toBe('ClientDestroyedError');
  });

  it('with publicOnly, refuses internal addresses, whether written in the URL or resolved from a name', async () => {
    const { port, hits } = await counter();
    const pools = createHttpPools({ publicOnly: true });
    cleanups.push(() => pools.close());
    expect(() => pools.pool(`http://127.0.0.1:${port}`)).toThrow(
      expect.objectContaining({ code: 'HERALD_DESTINATION_REFUSED' }),
    );
    await expect(
      pools.pool(`http://localhost:${port}`).request({ method: 'GET', path: '/' }),
    ).rejects.toMatchObject({ code: 'HERALD_DESTINATION_REFUSED' });
    expect(hits()).toBe(0);
  });
});
