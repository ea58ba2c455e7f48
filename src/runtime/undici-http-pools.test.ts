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
