import type { InboundContent } from '../domain/channel-event.js';
import type { ChangeEvents } from './event-outbox.js';

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
  /**
   * Stores the message unless one with its provider id is stored; true when it was new. `events` makes the events of
   * a new message, stored in the same transaction (never for one seen before).
   */
  append(message: InboundMessage, events?: ChangeEvents<InboundMessage>): Promise<boolean>;
  list(
    appId: string,
    filter: { recipientHash?: string; beforeId?: string; limit: number },
  ): Promise<InboundMessage[]>;
  /**
   * Deletes the messages received before `before`: their body, and their provider id, which can carry the
   * sender's number (a WhatsApp id is base64 around it).
   */
  purge(before: number, limit: number): Promise<number>;
}
