import type { ChannelProvider } from '../../ports/channel-provider.js';
import { WhatsAppCloudAdapter } from './adapter.js';
import {
  type WhatsAppCloudCredentials,
  type WhatsAppCloudOptions,
  type WhatsAppCloudSender,
  whatsAppCloudCredentialsSchema,
  whatsAppCloudOptionsSchema,
  whatsAppCloudSenderSchema,
} from './config.js';

/**
 * WhatsApp through Meta's Cloud API (Graph). Typed with its own schemas; the registry erases the types with
 * `defineChannelProvider` (this file does not import the registry, so there is no import cycle).
 */
export const whatsAppCloudProvider: ChannelProvider<
  WhatsAppCloudSender,
  WhatsAppCloudCredentials,
  WhatsAppCloudOptions
> = {
  kind: 'whatsapp-cloud',
  channelType: 'WHATSAPP',
  senderSchema: whatsAppCloudSenderSchema,
  credentialsSchema: whatsAppCloudCredentialsSchema,
  optionsSchema: whatsAppCloudOptionsSchema,
  // Meta's default throughput per registered number; Meta raises eligible numbers to 1,000.
  defaultMessagesPerSecond: 80,
  contentKinds: ['text', 'template', 'media', 'interactive', 'location', 'reaction'],
  // About one message per 6 s to the same user, with bursts of up to 45 borrowed from later (131056 beyond).
  pairRate: { perSecond: 1 / 6, burst: 45 },
  customerServiceWindow: true,
  providerIdsCarryAddress: true,
  senderKey: (sender) => `whatsapp-cloud:${sender.phoneNumberId}`,
  createAdapter: (config, deps) => new WhatsAppCloudAdapter(config, deps),
};
