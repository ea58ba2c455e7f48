/**
 * What a provider's webhook tells Herald, after the adapter has checked its signature and parsed it. Every event
 * has an `eventId`, the provider's own dedupe key, so a redelivered webhook changes nothing.
 */
export type ChannelEvent = StatusEvent | InboundMessageEvent | FollowEvent | UnfollowEvent | OptOutEvent;

interface EventBase {
  /** Unique per provider event (e.g. `wamid...:delivered`, a LINE webhookEventId, an SNS MessageId). */
  readonly eventId: string;
  /** Milliseconds since the epoch, as the provider stamped it (or receipt time when it does not). */
  readonly occurredAt: number;
}

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface StatusEvent extends EventBase {
  readonly type: 'status';
  /** The id the provider returned when the message was sent. */
  readonly providerMessageId: string;
  readonly status: DeliveryStatus;
  readonly error?: { readonly code: string; readonly message: string };
  /** What Herald attached on send (WhatsApp `biz_opaque_callback_data`, SMS context): Herald's message id. */
  readonly callbackData?: string;
  /**
   * A `failed` that means the user's 24-hour window was closed (WhatsApp 131047, reported late): the message can
   * still go out once the user writes, so it is held rather than failed.
   */
  readonly windowClosed?: boolean;
}

export interface InboundMessageEvent extends EventBase {
  readonly type: 'message';
  /** The user's address: E.164 phone number or LINE user id. */
  readonly from: string;
  readonly providerMessageId: string;
  readonly content: InboundContent;
  /** LINE: a reply token, valid for about a minute. */
  readonly replyToken?: string;
  /** The user's display name when the provider sends it (WhatsApp contacts[].profile.name). */
  readonly profileName?: string;
  /** The provider id of the message this one replies to. */
  readonly contextMessageId?: string;
}

export type InboundContent =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'media';
      readonly mediaType: 'image' | 'audio' | 'video' | 'document' | 'sticker' | 'file';
      readonly mediaId?: string;
      readonly mimeType?: string;
      readonly caption?: string;
    }
  | {
      readonly kind: 'location';
      readonly latitude: number;
      readonly longitude: number;
      readonly name?: string;
      readonly address?: string;
    }
  | { readonly kind: 'button'; readonly text: string; readonly payload: string }
  | {
      readonly kind: 'interactive';
      readonly replyType: 'button_reply' | 'list_reply';
      readonly id: string;
      readonly title: string;
      readonly description?: string;
    }
  | { readonly kind: 'reaction'; readonly messageId: string; readonly emoji: string }
  | {
      readonly kind: 'postback';
      readonly data: string;
      /** LINE: what a date/time picker or rich-menu switch action chose (`{ datetime: '2026-12-25T01:00' }`). */
      readonly params?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'unsupported'; readonly providerType: string };

export interface FollowEvent extends EventBase {
  readonly type: 'follow';
  readonly from: string;
  readonly replyToken?: string;
}

export interface UnfollowEvent extends EventBase {
  readonly type: 'unfollow';
  readonly from: string;
}

/** A provider-level opt-out or opt-in (e.g. a carrier STOP reported by the provider). */
export interface OptOutEvent extends EventBase {
  readonly type: 'optout' | 'optin';
  readonly from: string;
  readonly keyword?: string;
}
