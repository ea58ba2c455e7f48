import type { ProviderKind } from '../domain/channel-type.js';
import type { ChannelProvider } from '../ports/channel-provider.js';
import { customProvider } from './custom/provider.js';
import { eumSmsProvider } from './eum-sms/provider.js';
import { eumSocialProvider } from './eum-social/provider.js';
import { lineProvider } from './line/provider.js';
import { twilioProvider } from './twilio/provider.js';
import { whatsAppCloudProvider } from './whatsapp-cloud/provider.js';

/**
 * Every provider Herald can deliver through. Adding one is a folder under `channels/` and a line here.
 */
export const CHANNEL_PROVIDERS: Partial<Record<ProviderKind, ChannelProvider>> = {
  'whatsapp-cloud': defineChannelProvider(whatsAppCloudProvider),
  'eum-social': defineChannelProvider(eumSocialProvider),
  'eum-sms': defineChannelProvider(eumSmsProvider),
  line: defineChannelProvider(lineProvider),
  twilio: defineChannelProvider(twilioProvider),
  custom: defineChannelProvider(customProvider),
};

/**
 * Erases a provider's own sender/credentials/options types for the registry. Sound because the directory always
 * parses the stored values with the provider's own schemas before calling `createAdapter`.
 */
export function defineChannelProvider<S, C, O>(provider: ChannelProvider<S, C, O>): ChannelProvider {
  return provider as unknown as ChannelProvider;
}
