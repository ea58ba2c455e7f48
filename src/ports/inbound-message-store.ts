import type { InboundContent } from '../domain/channel-event.js';

export interface InboundMessage {
  readonly id: string;
  readonly appId: string;
  readonly channelId: string;
  readonly senderKey: string;
  readonly recipientHash: string;
  readonly endpointId: string | null;
  readonly providerMessageId: string;
  /** Null once the inbound retention has passed. */
  readonly content: InboundContent | null;
  readonly receivedAt: number;
}

/**
 * Messages users sent, keyed by the user's hash (never the address). Bodies expire after their own retention.
 *
 * @example
 * const stored = await inbound.append(message); // false when the provider id was seen before
 */
export interface InboundMessageStore {
  append(message: InboundMessage): Promise<boolean>;
  list(
    appId: string,
    filter: { recipientHash?: string; beforeId?: string; limit: number },
  ): Promise<InboundMessage[]>;
  /** Clears bodies received before `before`. */
  purgeBodies(before: number, limit: number): Promise<number>;
}
