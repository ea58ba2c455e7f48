import type { ChannelEvent } from '../domain/channel-event.js';
import type { Endpoint } from '../domain/endpoint.js';
import type { MessageContent } from '../domain/message-content.js';
import type { ProviderTemplate } from '../domain/provider-template.js';

/**
 * One provider account (a WhatsApp number, a LINE channel, an SMS origination, a custom receiver) as Herald
 * talks to it: send messages, read its webhooks. Built per channel by a `ChannelProvider`.
 *
 * Leaves out: queueing, rate limiting, retries and the 24-hour window (the delivery engine's job; the adapter
 * only classifies each failure), and storage (webhook events are returned, not stored).
 *
 * @example
 * const outcome = await adapter.send({ messageId: 'm1', to: '+16505551234', content: { kind: 'text', text: 'Hi' }, attempt: 1 });
 * if (outcome.ok) ledger.markSent(outcome.providerMessageId);
 * else if (outcome.failure.class === 'throttled') backOff(outcome.failure.retryAfterMs);
 */
export interface ChannelAdapter {
  send(message: OutboundMessage): Promise<SendOutcome>;
  /**
   * Sends several messages in as few provider calls as the provider allows (LINE multicast when the content is
   * the same, a custom channel's batch of up to 50 endpoints). One outcome per message, in order.
   */
  sendBatch?(messages: readonly OutboundMessage[]): Promise<SendOutcome[]>;
  /** The most messages `sendBatch` takes at once. */
  readonly maxBatchSize?: number;
  /**
   * The provider request `send` would make for this message, without making it (template previews): `operation`
   * names the call and `payload` is its body as the provider receives it. Content the channel cannot carry gives
   * the failure `send` would.
   */
  preview?(message: OutboundMessage): PreviewOutcome;
  /** Checks the signature on the raw bytes and parses the body into events. Never throws on bad input. */
  handleWebhook(request: WebhookRequest): Promise<WebhookResult>;
  /** WhatsApp: mark an inbound message read (and optionally show a typing indicator). */
  markRead?(inboundProviderMessageId: string, options?: { typing?: boolean }): Promise<void>;
  /** LINE: the user's display name. */
  lookupProfile?(userAddress: string): Promise<{ displayName?: string } | undefined>;
  /** WhatsApp: the templates the provider holds for this account (every page). */
  listTemplates?(): Promise<ProviderTemplate[]>;
  /** Checks the credentials with the provider where it has a cheap call for that. */
  validateCredentials?(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Releases connections. */
  close?(): Promise<void>;
}

export interface OutboundMessage {
  /** Herald's message id: sent along where the provider echoes it back (biz_opaque_callback_data, SMS context). */
  readonly messageId: string;
  /** The recipient's address (E.164, LINE user id, endpoint address). */
  readonly to: string;
  readonly content: MessageContent;
  /**
   * 1 on the first try. Retries keep idempotency keys derived from `messageId`; a batch handed to `sendBatch` again
   * after a crash holds exactly the same messages (sorted by `messageId`), so keys derived from the set hold too.
   */
  readonly attempt: number;
  /** LINE: reply instead of push while a fresh reply token is known. */
  readonly replyToken?: string;
  /** Custom channels: the endpoint and campaign context of Pinpoint's payload. */
  readonly endpoint?: Endpoint;
  readonly campaign?: {
    readonly campaignId: string;
    readonly treatmentId: string;
    readonly activityId: string;
    readonly scheduledTime: string;
  };
}

export type PreviewOutcome =
  | { readonly ok: true; readonly operation: string; readonly payload: unknown }
  | { readonly ok: false; readonly failure: SendFailure };

export type SendOutcome =
  | { readonly ok: true; readonly providerMessageId: string }
  | { readonly ok: false; readonly failure: SendFailure };

/**
 * A classified failure:
 * - `throttled`: too fast; wait `retryAfterMs` when given. `scope: 'recipient'` is WhatsApp's pair rate (only that
 *   user must wait), otherwise the whole sender slows down.
 * - `retryable`: 5xx, timeouts, connection errors; retry with backoff.
 * - `window_closed`: WhatsApp 131047, only a template may reach the user now.
 * - `permanent`: retrying cannot help (bad number, unknown template, parameter mismatch, opted out, bad token).
 */
export type SendFailure =
  | {
      readonly class: 'throttled';
      readonly code: string;
      readonly message: string;
      readonly retryAfterMs?: number;
      readonly scope?: 'sender' | 'recipient';
    }
  | { readonly class: 'retryable'; readonly code: string; readonly message: string }
  | { readonly class: 'window_closed'; readonly code: string; readonly message: string }
  | { readonly class: 'permanent'; readonly code: string; readonly message: string };

export interface WebhookRequest {
  readonly method: string;
  /** The full URL the provider called, as it was configured there (Twilio signs it). */
  readonly url: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The exact bytes received: signatures are checked on these, never on re-serialised JSON. */
  readonly rawBody: Buffer;
}

export type WebhookResult =
  | { readonly accepted: false; readonly status: 400 | 401 | 403; readonly reason: string }
  | {
      readonly accepted: true;
      readonly events: readonly ChannelEvent[];
      /**
       * What to answer instead of an empty 200 (WhatsApp's GET challenge, Twilio's TwiML). The webhook routes declare
       * each media type in the OpenAPI document (text/plain on GET, text/xml on POST): a new one is declared there too.
       */
      readonly response?: { readonly status: number; readonly contentType: string; readonly body: string };
    };
