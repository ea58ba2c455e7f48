import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { UndiciRequestHandler } from './undici-request-handler.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  );
  return (s.address() as AddressInfo).port;
}

function handler(timeoutMs: number): UndiciRequestHandler {
  const pools = createHttpPools();
  cleanups.push(() => pools.close());
  return new UndiciRequestHandler(pools, timeoutMs);
}

const request = (port: number, query: Record<string, string> = {}) => ({
  method: 'POST',
  protocol: 'http:',
  hostname: '127.0.0.1',
  port,
  path: '/v1/messages',
  query,
  headers: { 'content-type': 'application/json' },
  body: '{"a":1}',
});

describe('UndiciRequestHandler', () => {
  it('sends the SDK request through the pool and hands back status, headers and body', async () => {
    const port = await server((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        res.setHeader('x-amzn-requestid', 'r-1');
        res.end(JSON.stringify({ url: req.url, body }));
      });
    });
    const { response } = await handler(5_000).handle(request(port, { a: 'x y' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-amzn-requestid']).toBe('r-1');
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({
      url: '/v1/messages?a=x%20y',
      body: '{"a":1}',
    });
  });

  it('gives up with a TimeoutError when no answer comes within the deadline', async () => {
    const port = await server(() => {});
    const started = Date.now();
    await expect(handler(200).handle(request(port))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("stops when the SDK's own abort signal fires", async () => {
    const port = await server(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(handler(10_000).handle(request(port), { abortSignal: controller.signal })).rejects.toThrow(
      'caller gave up',
    );
  });
});
