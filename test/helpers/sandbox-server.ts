import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import type { WebhookRequest } from '../../src/ports/channel-adapter.js';
import type { Clock } from '../../src/ports/clock.js';
import type { HttpPools } from '../../src/ports/http-pools.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/create-sandbox.js';
import type { SandboxProvider } from '../../src/sandbox/sandbox-provider.js';

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the sandbox answered
  readonly body: any;
}

/** A sandbox on a real port, for adapter tests that must cross a socket. */
export interface SandboxServer {
  readonly url: string;
  readonly sandbox: Sandbox;
  /** Pools for the adapters under test (closed with the server). */
  readonly http: HttpPools;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<JsonAnswer>;
  close(): Promise<void>;
}

/**
 * Starts the given sandbox providers on 127.0.0.1 with fast webhook retries.
 *
 * @example
 * const server = await startSandboxServer({ providers: [createLineSandbox] });
 * const channel = await server.call('POST', '/line/_control/channels', { webhookUrl });
 */
export async function startSandboxServer(options: {
  providers: readonly (() => SandboxProvider)[];
  clock?: Clock;
  seed?: number;
}): Promise<SandboxServer> {
  const http = createHttpPools();
  let url = '';
  const sandbox = createSandbox({
    clock: options.clock ?? systemClock,
    http,
    publicUrl: () => url,
    providers: options.providers,
    seed: options.seed ?? 11,
  });
  sandbox.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 2, retryBaseMs: 20, maxAttempts: 3 });
  const app = Fastify();
  await app.register(sandbox.plugin);
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    sandbox,
    http,
    async call(method, path, body, headers = {}) {
      const response = await request(`${url}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.body.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.statusCode, headers: response.headers, body: parsed };
    },
    async close() {
      sandbox.close();
      await app.close();
      await http.close();
    },
  };
}

/** A webhook receiver on a real port that records each request as a channel adapter would see it. */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: WebhookRequest[];
  /** What to answer next (200 by default). */
  answer: { status: number; contentType?: string; body?: string };
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const app: FastifyInstance = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  let base = '';
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answer: { status: 200 },
    close: () => app.close(),
  };
  app.all('/*', async (req, reply) => {
    receiver.received.push({
      method: req.method,
      url: `${base}${req.url}`,
      query: Object.fromEntries(
        Object.entries(req.query as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
      ),
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    });
    reply.code(receiver.answer.status);
    if (receiver.answer.contentType) reply.type(receiver.answer.contentType);
    return reply.send(receiver.answer.body ?? '');
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  (receiver as { url: string }).url = base;
  return receiver;
}

/** Polls until `find` returns something, or fails after `timeoutMs` (waiting on real I/O only). */
export async function eventually<T>(
  find: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
