import type { ChannelProvider } from '../../ports/channel-provider.js';
import { type AwsCredentials, awsCredentialsSchema } from '../aws/aws-credentials.js';
import { EumSocialAdapter } from './adapter.js';
import {
  type EumSocialOptions,
  type EumSocialSender,
  eumSocialOptionsSchema,
  eumSocialSenderSchema,
} from './config.js';

/**
 * WhatsApp through AWS End User Messaging Social. Typed with its own schemas; the registry erases the types with
 * `defineChannelProvider`.
 */
export const eumSocialProvider: ChannelProvider<EumSocialSender, AwsCredentials, EumSocialOptions> = {
  kind: 'eum-social',
  channelType: 'WHATSAPP',
  senderSchema: eumSocialSenderSchema,
  credentialsSchema: awsCredentialsSchema('social-messaging:SendWhatsAppMessage'),
  optionsSchema: eumSocialOptionsSchema,
  // The number's Meta throughput applies unchanged behind AWS.
  defaultMessagesPerSecond: 80,
  contentKinds: ['text', 'template', 'media', 'interactive', 'location', 'reaction'],
  pairRate: { perSecond: 1 / 6, burst: 45 },
  customerServiceWindow: true,
  providerIdsCarryAddress: true,
  senderKey: (sender) => `eum-social:${sender.originationPhoneNumberId}`,
  createAdapter: (config, deps) => new EumSocialAdapter(config, deps),
};
