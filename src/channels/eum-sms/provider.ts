import type { ChannelProvider } from '../../ports/channel-provider.js';
import { type AwsCredentials, awsCredentialsSchema } from '../aws/aws-credentials.js';
import { EumSmsAdapter } from './adapter.js';
import { type EumSmsOptions, type EumSmsSender, eumSmsOptionsSchema, eumSmsSenderSchema } from './config.js';

/**
 * SMS through AWS End User Messaging SMS. Typed with its own schemas; the registry erases the types with
 * `defineChannelProvider`.
 */
export const eumSmsProvider: ChannelProvider<EumSmsSender, AwsCredentials, EumSmsOptions> = {
  readReceipts: false,
  kind: 'eum-sms',
  channelType: 'SMS',
  senderSchema: eumSmsSenderSchema,
  credentialsSchema: awsCredentialsSchema('sms-voice:SendTextMessage'),
  optionsSchema: eumSmsOptionsSchema,
  // Message parts per second depend on the origination type and country (toll-free 3, short codes 100); 20 is
  // Herald's default for SMS; set the channel's limit to the identity's real MPS.
  defaultMessagesPerSecond: 20,
  contentKinds: ['text'],
  senderKey: (sender) => `eum-sms:${sender.originationIdentity}`,
  createAdapter: (config, deps) => new EumSmsAdapter(config, deps),
};
