import type { ChannelProvider } from '../../ports/channel-provider.js';
import { TwilioAdapter } from './adapter.js';
import {
  type TwilioCredentials,
  type TwilioOptions,
  type TwilioSender,
  twilioCredentialsSchema,
  twilioOptionsSchema,
  twilioSenderSchema,
} from './config.js';

/** SMS (and MMS) through Twilio Programmable Messaging. */
export const twilioProvider: ChannelProvider<TwilioSender, TwilioCredentials, TwilioOptions> = {
  readReceipts: false,
  kind: 'twilio',
  channelType: 'SMS',
  senderSchema: twilioSenderSchema,
  credentialsSchema: twilioCredentialsSchema,
  optionsSchema: twilioOptionsSchema,
  // Twilio queues what a number cannot send at once; 20/s keeps that queue short for a short code or a pool.
  defaultMessagesPerSecond: 20,
  contentKinds: ['text', 'media'],
  senderKey: (sender) => `twilio:${sender.messagingServiceSid ?? sender.from}`,
  createAdapter: (config, deps) => new TwilioAdapter(config, deps),
};
