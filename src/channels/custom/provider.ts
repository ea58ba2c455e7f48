import type { ChannelProvider } from '../../ports/channel-provider.js';
import { CustomChannelAdapter } from './adapter.js';
import {
  type CustomCredentials,
  type CustomOptions,
  type CustomSender,
  customCredentialsSchema,
  customOptionsSchema,
  customSenderSchema,
} from './config.js';
import { CUSTOM_BATCH_SIZE } from './custom-deliveries.js';

/** Pinpoint-style custom channels: an HTTP receiver or a registered local function. */
export const customProvider: ChannelProvider<CustomSender, CustomCredentials, CustomOptions> = {
  kind: 'custom',
  channelType: 'CUSTOM',
  senderSchema: customSenderSchema,
  credentialsSchema: customCredentialsSchema,
  optionsSchema: customOptionsSchema,
  // Each message is one endpoint of a batch of up to 50; 50/s is one delivery a second, like a small Pinpoint campaign.
  defaultMessagesPerSecond: 50,
  // A receiver answers for the whole batch and sends no statuses later: `sent` is the last status.
  deliveryReceipts: false,
  webhooks: false,
  batchSize: CUSTOM_BATCH_SIZE,
  contentKinds: ['custom', 'text'],
  senderKey: (sender) => `custom:${sender.name}`,
  createAdapter: (config, deps) => new CustomChannelAdapter(config, deps),
};
