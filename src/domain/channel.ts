import type { ChannelType, ProviderKind } from './channel-type.js';

/**
 * An app's configured provider for a channel type. Credentials are not part of it: they are sealed at rest and
 * only the channel directory opens them, to build an adapter.
 */
export interface Channel {
  readonly appId: string;
  /** Chosen by the app: `whatsapp-main`, `line`, `sms-us`. */
  readonly id: string;
  readonly provider: ProviderKind;
  readonly channelType: ChannelType;
  /** Provider-specific sender identity (phone-number id, LINE channel, origination identity). */
  readonly sender: Readonly<Record<string, unknown>>;
  /** Provider-specific settings: base URL or AWS endpoint and region, API version, webhook verify token... */
  readonly options: Readonly<Record<string, unknown>>;
  readonly limits: ChannelLimits;
  /** `<provider>:<identity>`: the queue partition and rate-limit unit. */
  readonly senderKey: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ChannelLimits {
  /** The sender's rate. Defaults: WhatsApp 80, LINE 1,000, SMS 20. */
  readonly messagesPerSecond: number;
}
