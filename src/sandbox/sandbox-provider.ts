import type { FastifyInstance } from 'fastify';
import type { ProviderKind } from '../domain/channel-type.js';
import type { Clock } from '../ports/clock.js';
import type { FaultInjector } from './fault-injector.js';
import type { PhoneBook } from './phone-book.js';
import type { SendCounters } from './send-counters.js';
import type { WebhookEmitter } from './webhook-emitter.js';

/**
 * One simulated provider. Mounted at `/<name>` of the sandbox: it serves the provider's wire API there (the
 * official clients work against it with their base URL set to `<sandbox>/<name>`), and its own control routes
 * under `/<name>/_control/...` (provision an account, simulate a user, tune behaviour).
 *
 * Leaves out what every provider shares, which the context holds: the phone book the web page shows, webhook
 * delivery (delays, duplicates, retries), fault injection and send counters.
 *
 * @example
 * export function createLineSandbox(): SandboxProvider {
 *   return { name: 'line', title: 'LINE', routes(app, ctx) { app.post('/v2/bot/message/push', ...) }, simulateInbound };
 * }
 */
export interface SandboxProvider {
  /** URL segment and id: `whatsapp`, `eum-social`, `line`, `eum-sms`, `twilio`, `custom`. */
  readonly name: string;
  readonly title: string;
  routes(app: FastifyInstance, context: SandboxContext): void | Promise<void>;
  /**
   * Wire routes also served at the sandbox root, for official clients that drop a base URL's path (the LINE SDK
   * resolves `/v2/bot/...` against its `baseURL` with `new URL`, so `<sandbox>/line` becomes `<sandbox>`).
   */
  rootRoutes?(app: FastifyInstance, context: SandboxContext): void | Promise<void>;
  /** A simulated user writes to an account (from the web page or the control API). */
  simulateInbound(input: { account: string; user: string; text: string }): Promise<void>;
  /** Forgets all state (accounts stay provisioned only if the provider says so). */
  reset?(): void;
  /**
   * Provisions a demo account in this sandbox and returns the channel Herald should configure to use it, so
   * `npm start` has a working channel of every kind.
   */
  demoChannel?(input: { webhookUrl: (channelId: string) => string }): Promise<DemoChannel>;
}

/** A channel configuration for `PUT /v1/apps/{appId}/channels/{channelId}` that points at this sandbox. */
export interface DemoChannel {
  readonly channelId: string;
  readonly provider: ProviderKind;
  readonly sender: Record<string, unknown>;
  readonly credentials: Record<string, unknown>;
  readonly options: Record<string, unknown>;
  /** Simulated users the demo creates endpoints for. */
  readonly demoUsers: readonly string[];
}

export interface SandboxContext {
  readonly clock: Clock;
  /** Seeded randomness, so a test's faults and delays repeat. */
  readonly random: () => number;
  readonly phones: PhoneBook;
  readonly webhooks: WebhookEmitter;
  readonly faults: FaultInjector;
  readonly counters: SendCounters;
  /** The sandbox's public base URL, with its mount prefix (`http://127.0.0.1:4010` or `http://host:3000/sandbox`). */
  publicUrl(): string;
}
