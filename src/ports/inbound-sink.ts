import type { ChannelEvent } from '../domain/channel-event.js';

/**
 * Where verified webhook events go: stored durably (deduplicated by event id) before the provider gets its 200,
 * then processed by workers.
 *
 * @example
 * await inbound.accept({ appId, channelId, senderKey, events, receivedAt: clock.now() });
 */
export interface InboundSink {
  accept(batch: {
    readonly appId: string;
    readonly channelId: string;
    readonly senderKey: string;
    readonly events: readonly ChannelEvent[];
    readonly receivedAt: number;
  }): Promise<void>;
}
