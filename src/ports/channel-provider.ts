import type { z } from 'zod';
import type { ChannelType, ProviderKind } from '../domain/channel-type.js';
import type { MessageContent } from '../domain/message-content.js';
import type { ChannelAdapter } from './channel-adapter.js';
import type { Clock } from './clock.js';
import type { HttpPools } from './http-pools.js';
import type { Logger } from './logger.js';

/**
 * A kind of provider: the shape of its channel configuration and how to build an adapter from it. One per
 * folder under `channels/`, listed once in `channels/registry.ts`.
 *
 * @example
 * const provider = CHANNEL_PROVIDERS['whatsapp-cloud'];
 * const sender = provider.senderSchema.parse({ phoneNumberId: '1065...' });
 * const adapter = provider.createAdapter({ sender, credentials, options }, deps);
 */
export interface ChannelProvider<Sender = unknown, Credentials = unknown, Options = unknown> {
  readonly kind: ProviderKind;
  readonly channelType: ChannelType;
  /** The identity that sends: one rate-limit and queue partition. */
  readonly senderSchema: z.ZodType<Sender>;
  /** Secrets: encrypted at rest, never returned. */
  readonly credentialsSchema: z.ZodType<Credentials>;
  /** Everything else: base URL or AWS endpoint and region, API version, webhook settings. */
  readonly optionsSchema: z.ZodType<Options>;
  readonly defaultMessagesPerSecond: number;
  /** The content kinds this channel carries; the send API refuses others up front. All kinds when absent. */
  readonly contentKinds?: readonly MessageContent['kind'][];
  /**
   * Why this channel cannot carry this content (a LINE audio message without its duration), or undefined: the send
   * API refuses it up front with HERALD_CHANNEL_UNSUPPORTED_CONTENT rather than accepting a message that can only
   * fail (the adapter refuses it too, for content that reaches it another way).
   */
  contentProblem?(content: MessageContent): string | undefined;
  /**
   * A limit on messages to one recipient (WhatsApp's pair rate, about one per 6 s with bursts); the delivery
   * engine paces each recipient by it.
   */
  readonly pairRate?: { readonly perSecond: number; readonly burst: number };
  /** Whether free-form messages need the recipient to have written in the last 24 hours (WhatsApp). */
  readonly customerServiceWindow?: boolean;
  /**
   * Whether the provider reports what became of a message after accepting it (default true). LINE and custom
   * channels do not: for them `sent` is the last status, recorded when the provider accepts the message.
   */
  readonly deliveryReceipts?: boolean;
  /**
   * Recipients one provider call can carry when their content is the same (a custom channel's 50 endpoints, LINE
   * multicast's 500). The delivery engine then claims whole batches and waits for the rate's tokens for all of them,
   * rather than sending as many as the tokens at hand allow.
   */
  readonly batchSize?: number;
  /**
   * Whether the provider calls Herald at all (default true). Custom channels never do: they have no webhook URL, and
   * the channel view shows `webhookUrl: null` rather than an address that would only answer 400.
   */
  readonly webhooks?: boolean;
  /**
   * Whether the provider's message ids carry the recipient's address (WhatsApp's: base64 around the phone number).
   * The ledger then keeps a keyed digest of each id and a sealed copy, not the id (see ProviderIdCodec); other ids
   * are kept as they are, in the order they come, which their index takes at a fraction of the cost.
   */
  readonly providerIdsCarryAddress?: boolean;
  /** Whether the provider reports that a message was read (default true). SMS does not: `delivered` is its last. */
  readonly readReceipts?: boolean;
  /** A stable key for the sender, unique across providers: `whatsapp-cloud:1065...`. */
  senderKey(sender: Sender): string;
  createAdapter(
    config: { sender: Sender; credentials: Credentials; options: Options },
    deps: AdapterDeps,
  ): ChannelAdapter;
}

export interface AdapterDeps {
  readonly http: HttpPools;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The app that owns the channel (Pinpoint's `ApplicationId` in custom-channel payloads). */
  readonly appId?: string;
  /** The public URL of this channel's webhook (`/webhooks/{appId}/{channelId}`), for providers that take it per send. */
  readonly webhookUrl: string;
  /** Administrator-registered Pinpoint custom-channel functions: name -> module path. */
  readonly customFunctions: Readonly<Record<string, string>>;
  /** Hosts an SNS SigningCertURL may point at (globs like `sns.*.amazonaws.com`). */
  readonly snsCertHosts: readonly string[];
}
