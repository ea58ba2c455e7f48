import type { ChannelProvider } from '../../ports/channel-provider.js';
import { LineAdapter, MULTICAST_MAX } from './adapter.js';
import {
  type LineCredentials,
  type LineOptions,
  type LineSender,
  lineCredentialsSchema,
  lineOptionsSchema,
  lineSenderSchema,
} from './config.js';
import { lineMessageObjects } from './line-message-objects.js';

/**
 * LINE Messaging API channels. Typed with its own schemas; the registry erases the types with
 * `defineChannelProvider` (this file does not import the registry, so importing it first cannot hit a cycle).
 */
export const lineProvider: ChannelProvider<LineSender, LineCredentials, LineOptions> = {
  kind: 'line',
  channelType: 'LINE',
  senderSchema: lineSenderSchema,
  credentialsSchema: lineCredentialsSchema,
  optionsSchema: lineOptionsSchema,
  // Push allows 2,000 requests a second per channel; Herald's default leaves room for replies and multicasts.
  defaultMessagesPerSecond: 1_000,
  contentKinds: ['text', 'media', 'sticker', 'location'],
  contentProblem: (content) => {
    const built = lineMessageObjects(content);
    return built.ok ? undefined : built.failure.message;
  },
  // LINE reports nothing after accepting a message: `sent` is its last status.
  deliveryReceipts: false,
  batchSize: MULTICAST_MAX,
  senderKey: (sender) => `line:${sender.channelId}`,
  createAdapter: (config, deps) => new LineAdapter(config, deps),
};
