/**
 * The contract every channel adapter keeps, run against its sandbox over real HTTP. A provider's own test file
 * is a few lines that call `runChannelContract` with a subject (see style.md: hono's common.case.test.ts).
 *
 * The harness starts the sandbox on a real port and a webhook receiver that hands each request to the adapter
 * under test, exactly as Herald's webhook route does, and records what it returned.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelEvent } from '../domain/channel-event.js';
import type { MessageContent } from '../domain/message-content.js';
import type { ChannelAdapter, SendOutcome, WebhookRequest, WebhookResult } from '../ports/channel-adapter.js';
import { systemClock } from '../runtime/system-clock.js';
import { createHttpPools } from '../runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from '../sandbox/create-sandbox.js';
import type { SandboxProvider } from '../sandbox/sandbox-provider.js';

export interface ContractHarness {
  /** The sandbox root; the provider under test answers at `${sandboxUrl}/${subject.name}`. */
  readonly sandboxUrl: string;
  /** Where the sandbox must deliver this account's webhooks. */
  readonly webhookUrl: string;
  readonly sandbox: Sandbox;
  /** Every webhook the receiver got, raw, with the adapter's verdict. */
  readonly received: { request: WebhookRequest; result: WebhookResult }[];
}

export interface ContractSetup {
  readonly adapter: ChannelAdapter;
  /** The same account with wrong credentials. */
  readonly badCredentials: ChannelAdapter;
  /** A simulated user's address. */
  readonly recipient: string;
  /** A message this channel carries (and the sandbox accepts for `recipient` right after `userWrites`). */
  readonly content: MessageContent;
  /** The simulated user writes to the business (on WhatsApp this opens the 24-hour window). */
  userWrites(text: string): Promise<void>;
  /** Whether the provider reports delivery statuses by webhook (LINE does not). */
  readonly statusWebhooks: boolean;
  /**
   * The same webhook without its signature, where the provider does not sign in headers (SNS signs inside the body).
   * By default the signature headers are dropped.
   */
  withoutSignature?(request: WebhookRequest): WebhookRequest;
}

export interface ChannelContractSubject {
  /** The sandbox provider's name (its URL segment). */
  readonly name: string;
  readonly sandboxProviders: readonly (() => SandboxProvider)[];
  /**
   * Whether users' messages reach Herald by webhook (default true). Pinpoint-style custom channels only deliver, so
   * their contract skips the inbound and signature cases, and their `userWrites` is never called.
   */
  readonly inboundWebhooks?: boolean;
  /**
   * Provisions an account in the sandbox and builds adapters for it. `timeoutMs` is the request timeout the
   * adapter must use, so an injected timeout fails fast.
   */
  setup(harness: ContractHarness, options: { timeoutMs: number }): Promise<ContractSetup>;
}

const TIMEOUT_MS = 400;

export function runChannelContract(subject: ChannelContractSubject): void {
  describe(`channel contract: ${subject.name}`, () => {
    let receiver: FastifyInstance;
    let sandboxServer: FastifyInstance;
    let harness: ContractHarness & { received: ContractHarness['received'] };
    let setup: ContractSetup;
    let adapterRef: ChannelAdapter | undefined;
    const http = createHttpPools();

    beforeAll(async () => {
      let sandboxUrl = '';
      const sandbox = createSandbox({
        clock: systemClock,
        http,
        publicUrl: () => sandboxUrl,
        providers: subject.sandboxProviders,
        seed: 7,
      });
      sandbox.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 5, retryBaseMs: 20, maxAttempts: 3 });
      sandboxServer = Fastify();
      await sandboxServer.register(sandbox.plugin);
      sandboxUrl = await sandboxServer.listen({ host: '127.0.0.1', port: 0 });

      const received: ContractHarness['received'] = [];
      receiver = Fastify();
      receiver.removeAllContentTypeParsers();
      receiver.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      let receiverUrl = '';
      receiver.all('/hook', async (request, reply) => {
        const webhook: WebhookRequest = {
          method: request.method,
          url: `${receiverUrl}${request.url}`,
          query: Object.fromEntries(
            Object.entries(request.query as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
          ),
          headers: Object.fromEntries(
            Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
          ),
          rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        };
        if (!adapterRef) return reply.code(503).send();
        const result = await adapterRef.handleWebhook(webhook);
        received.push({ request: webhook, result });
        if (!result.accepted) return reply.code(result.status).send();
        if (result.response)
          return reply
            .code(result.response.status)
            .type(result.response.contentType)
            .send(result.response.body);
        return reply.code(200).send();
      });
      receiverUrl = await receiver.listen({ host: '127.0.0.1', port: 0 });
      harness = { sandboxUrl, webhookUrl: `${receiverUrl}/hook`, sandbox, received };
      setup = await subject.setup(harness, { timeoutMs: TIMEOUT_MS });
      adapterRef = setup.adapter;
    });

    afterEach(() => {
      harness.sandbox.context.faults.reset();
    });

    afterAll(async () => {
      harness?.sandbox.close();
      await setup?.adapter.close?.();
      await setup?.badCredentials.close?.();
      await receiver?.close();
      await sandboxServer?.close();
      await http.close();
    });

    const events = () =>
      harness.received.flatMap((r) => (r.result.accepted ? [...r.result.events] : [])) as ChannelEvent[];

    async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    async function send(adapter: ChannelAdapter, messageId: string): Promise<SendOutcome> {
      return adapter.send({ messageId, to: setup.recipient, content: setup.content, attempt: 1 });
    }

    const inbound = subject.inboundWebhooks !== false;

    it.runIf(inbound)('turns a simulated user message into an inbound message event', async () => {
      await setup.userWrites('hello from the contract');
      const event = await eventually(
        () =>
          events().find(
            (e) =>
              e.type === 'message' &&
              e.content.kind === 'text' &&
              e.content.text === 'hello from the contract',
          ),
        'the inbound message event',
      );
      expect(event).toMatchObject({ type: 'message', from: setup.recipient });
      expect(event.eventId).toEqual(expect.any(String));
    });

    it('sends a message the sandbox accepts, and reads its status webhooks', async () => {
      const before = harness.sandbox.context.counters.totals().total;
      const outcome = await send(setup.adapter, 'contract-send-1');
      expect(outcome).toEqual({ ok: true, providerMessageId: expect.any(String) });
      expect(harness.sandbox.context.counters.totals().total).toBe(before + 1);
      if (!setup.statusWebhooks || !outcome.ok) return;
      const status = await eventually(
        () =>
          events().find(
            (e) =>
              e.type === 'status' &&
              e.providerMessageId === outcome.providerMessageId &&
              e.status === 'delivered',
          ),
        'a delivered status',
      );
      expect(status.eventId).toEqual(expect.any(String));
    });

    it.runIf(inbound)(
      'rejects a webhook whose body was changed after signing, and one without a signature',
      async () => {
        await setup.userWrites('to be tampered with');
        // One word, so it reads the same in JSON, form-encoded (Twilio) and enveloped (SNS) bodies.
        const original = await eventually(
          () => harness.received.find((r) => r.result.accepted && r.request.rawBody.includes('tampered')),
          'a signed webhook',
        );
        const tampered = Buffer.from(
          original.request.rawBody.toString('utf8').replace('tampered', 'TAMPERED'),
        );
        const verdict = await setup.adapter.handleWebhook({ ...original.request, rawBody: tampered });
        expect(verdict).toMatchObject({ accepted: false, status: 401 });
        const headers = Object.fromEntries(
          Object.entries(original.request.headers).filter(([k]) => !/signature|x-amz-sns/i.test(k)),
        );
        const unsigned = await setup.adapter.handleWebhook(
          setup.withoutSignature?.(original.request) ?? { ...original.request, headers },
        );
        expect(unsigned.accepted).toBe(false);
      },
    );

    it('classifies bad credentials as permanent', async () => {
      const outcome = await send(setup.badCredentials, 'contract-bad-credentials');
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.failure.class).toBe('permanent');
    });

    it('classifies a provider server error as retryable', async () => {
      harness.sandbox.context.faults.configure(subject.name, { errorRate: 1 });
      const outcome = await send(setup.adapter, 'contract-error');
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.failure.class).toBe('retryable');
    });

    it('classifies throttling as throttled', async () => {
      harness.sandbox.context.faults.configure(subject.name, { throttleRate: 1 });
      const outcome = await send(setup.adapter, 'contract-throttle');
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.failure.class).toBe('throttled');
    });

    it('classifies a timeout as retryable', async () => {
      harness.sandbox.context.faults.configure(subject.name, { timeoutRate: 1, timeoutMs: TIMEOUT_MS * 5 });
      const started = Date.now();
      const outcome = await send(setup.adapter, 'contract-timeout');
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.failure.class).toBe('retryable');
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 4);
    });
  });
}
