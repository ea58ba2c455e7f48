import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Clock } from '../ports/clock.js';
import type { HttpPools } from '../ports/http-pools.js';
import { FaultInjector, type FaultSettings } from './fault-injector.js';
import { PhoneBook } from './phone-book.js';
import { SANDBOX_PROVIDERS } from './registry.js';
import { sandboxPage } from './sandbox-page.js';
import type { SandboxContext, SandboxProvider } from './sandbox-provider.js';
import { seededRandom } from './seeded-random.js';
import { SendCounters } from './send-counters.js';
import { type WebhookBehaviour, WebhookEmitter } from './webhook-emitter.js';

export interface SandboxOptions {
  readonly clock: Clock;
  readonly http: HttpPools;
  /** Base URL where the sandbox is reachable, including the mount prefix. */
  readonly publicUrl: () => string;
  readonly seed?: number;
  /** Which providers to run; all by default. */
  readonly providers?: readonly (() => SandboxProvider)[];
}

export interface Sandbox {
  readonly context: SandboxContext;
  readonly providers: readonly SandboxProvider[];
  /** A fastify plugin: register it at `/` (herald sandbox) or under a prefix (herald serve --sandbox). */
  readonly plugin: FastifyPluginAsync;
  provider(name: string): SandboxProvider | undefined;
  close(): void;
}

/**
 * Every provider simulator in one fastify plugin: each provider at `/<name>`, the shared control API at
 * `/_sandbox`, and a page at `/` that shows every simulated phone and lets a person reply.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  const random = seededRandom(options.seed ?? 0x5eed);
  const context: SandboxContext = {
    clock: options.clock,
    random,
    phones: new PhoneBook(),
    webhooks: new WebhookEmitter(options.http, random),
    faults: new FaultInjector(random),
    counters: new SendCounters(),
    publicUrl: options.publicUrl,
  };
  const providers = (options.providers ?? SANDBOX_PROVIDERS).map((create) => create());
  const byName = new Map(providers.map((p) => [p.name, p]));

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    app.setErrorHandler((error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      reply.code(status).send({ error: { message: error instanceof Error ? error.message : String(error) } });
    });
    app.setNotFoundHandler((request, reply) => {
      reply.code(404).send({ error: { message: `sandbox: no route ${request.method} ${request.url}` } });
    });

    for (const provider of providers) {
      await app.register(async (scope) => provider.routes(scope, context), { prefix: `/${provider.name}` });
      const { rootRoutes } = provider;
      if (rootRoutes) await app.register(async (scope) => rootRoutes.call(provider, scope, context));
    }

    app.get('/', async (_request, reply) => {
      reply
        .type('text/html; charset=utf-8')
        .send(sandboxPage(providers.map((p) => ({ name: p.name, title: p.title }))));
    });

    app.get('/_sandbox/phones', async () => ({ phones: context.phones.list() }));

    app.post('/_sandbox/phones/reply', async (request, reply) => {
      const body = request.body as
        | { provider?: unknown; account?: unknown; user?: unknown; text?: unknown }
        | undefined;
      const provider = typeof body?.provider === 'string' ? byName.get(body.provider) : undefined;
      if (
        !provider ||
        typeof body?.account !== 'string' ||
        typeof body.user !== 'string' ||
        typeof body.text !== 'string' ||
        !body.text
      ) {
        reply.code(400);
        return { error: { message: 'need provider, account, user and a non-empty text' } };
      }
      await provider.simulateInbound({ account: body.account, user: body.user, text: body.text });
      return { ok: true };
    });

    app.get('/_sandbox/counters', async () => context.counters.snapshot());
    // The full snapshot lists every recipient (megabytes after a benchmark's sends); pollers want the totals.
    app.get('/_sandbox/counters/totals', async () => context.counters.totals());

    app.put('/_sandbox/faults/:provider', async (request, reply) => {
      const { provider } = request.params as { provider: string };
      if (provider !== '*' && !byName.has(provider)) {
        reply.code(404);
        return { error: { message: `no provider ${provider}` } };
      }
      return context.faults.configure(
        provider,
        pickNumbers<FaultSettings>(request.body, [
          'errorRate',
          'throttleRate',
          'timeoutRate',
          'timeoutMs',
          'latencyMs',
        ]),
      );
    });

    app.put('/_sandbox/webhooks', async (request) =>
      context.webhooks.configure(
        pickNumbers<WebhookBehaviour>(request.body, [
          'minDelayMs',
          'maxDelayMs',
          'duplicateRate',
          'maxAttempts',
          'retryBaseMs',
        ]),
      ),
    );

    app.post('/_sandbox/reset', async () => {
      context.phones.clear();
      context.counters.reset();
      context.faults.reset();
      for (const provider of providers) provider.reset?.();
      return { ok: true };
    });
  };

  return {
    context,
    providers,
    plugin,
    provider: (name) => byName.get(name),
    close: () => context.webhooks.close(),
  };
}

function pickNumbers<T>(body: unknown, keys: readonly (keyof T & string)[]): Partial<T> {
  const out: Record<string, number> = {};
  if (typeof body !== 'object' || body === null) return out as Partial<T>;
  for (const key of keys) {
    const value = (body as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
  }
  return out as Partial<T>;
}
