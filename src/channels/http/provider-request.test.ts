import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { providerRequest } from './provider-request.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('providerRequest', () => {
  it('tells a refused destination (final) from a failed connection (worth a retry)', async () => {
    const port = await closedPort();
    const open = createHttpPools();
    const publicOnly = createHttpPools({ publicOnly: true });
    cleanups.push(
      () => open.close(),
      () => publicOnly.close(),
    );
    const call = { method: 'GET' as const, baseUrl: `http://localhost:${port}`, path: '/', timeoutMs: 2_000 };
    expect(await providerRequest(open, call)).toMatchObject({ ok: false, failure: { kind: 'network' } });
    expect(await providerRequest(publicOnly, call)).toMatchObject({
      ok: false,
      failure: { kind: 'refused' },
    });
  });
});
