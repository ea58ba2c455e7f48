import type { Channel } from '../domain/channel.js';
import type { ChannelType } from '../domain/channel-type.js';

export interface StoredChannel extends Channel {
  /** Credentials sealed by the SecretBox. */
  readonly sealedCredentials: string;
}

/**
 * Channels of apps. Credentials arrive and leave sealed; this store never sees them in the clear.
 *
 * @example
 * await channels.put({ ...channel, sealedCredentials: secrets.seal(JSON.stringify(credentials)) });
 * const whatsapp = await channels.list(appId, { channelType: 'WHATSAPP' });
 */
export interface ChannelStore {
  /** Creates or replaces; keeps `createdAt` of an existing channel. */
  put(channel: StoredChannel): Promise<StoredChannel>;
  get(appId: string, channelId: string): Promise<StoredChannel | undefined>;
  /** In id order. */
  list(appId: string, filter?: { channelType?: ChannelType }): Promise<StoredChannel[]>;
  delete(appId: string, channelId: string): Promise<boolean>;
  /** Every channel sending as this sender (a sender can serve several apps only in odd set-ups, but may). */
  findBySenderKey(senderKey: string): Promise<StoredChannel[]>;
}
