import type { InboundContent } from './channel-event.js';
import type { ChannelType } from './channel-type.js';
import type { MessageStatus } from './message-status.js';

/** The events Herald publishes to subscriptions and to the live stream. */
export const HERALD_EVENT_TYPES = [
  'message.status',
  'message.inbound',
  'endpoint.optout',
  'endpoint.optin',
] as const;
export type HeraldEventType = (typeof HERALD_EVENT_TYPES)[number];

interface EventBase {
  /** Unique per event: receivers deduplicate on it (delivery is at least once). */
  readonly id: string;
  readonly appId: string;
  /** Milliseconds since the epoch. */
  readonly occurredAt: number;
}

export interface MessageStatusEvent extends EventBase {
  readonly type: 'message.status';
  readonly data: {
    readonly messageId: string;
    readonly status: MessageStatus;
    readonly channelId: string;
    readonly error?: { readonly code: string; readonly message: string };
    readonly campaignId?: string;
    readonly endpointId?: string;
  };
}

export interface MessageInboundEvent extends EventBase {
  readonly type: 'message.inbound';
  readonly data: {
    readonly inboundId: string;
    readonly channelId: string;
    readonly channelType: string;
    /** The user's address, for the app's own systems (it is never logged or kept in the ledger). */
    readonly from: string;
    readonly endpointId?: string;
    readonly content: InboundContent;
    readonly profileName?: string;
    /**
     * The provider's id of the message (a WhatsApp wamid, a LINE message id, a Twilio SID): what a WhatsApp
     * reaction or a reply names. Like `from`, it is for the app's systems: a wamid is base64 around the number.
     */
    readonly providerMessageId: string;
  };
}

/**
 * A person opted out or back in on a channel type: the endpoints whose `optOut` changed (none when no endpoint has
 * the address; the app's opt-out list remembers it all the same). Carries no address.
 *
 * @example
 * { type: 'endpoint.optout', ..., data: { channelType: 'WHATSAPP', channelId: 'whatsapp', endpointIds: ['bob'], reason: 'keyword STOP' } }
 * { type: 'endpoint.optin', ..., data: { channelType: 'SMS', endpointIds: ['e1', 'e7'], reason: 'api' } }
 */
export interface EndpointOptEvent extends EventBase {
  readonly type: 'endpoint.optout' | 'endpoint.optin';
  readonly data: {
    readonly channelType: ChannelType;
    /** The channel the opt-out or opt-in came through; absent when it came through none (the opt-out API). */
    readonly channelId?: string;
    readonly endpointIds: readonly string[];
    /** What caused it: a keyword (`keyword STOP`), `unfollow`/`follow` (LINE), `provider`, or `api`. */
    readonly reason: string;
  };
}

export type HeraldEvent = MessageStatusEvent | MessageInboundEvent | EndpointOptEvent;
