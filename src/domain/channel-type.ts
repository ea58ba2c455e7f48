/** Pinpoint's channel types plus WHATSAPP and LINE. */
export const CHANNEL_TYPES = [
  'WHATSAPP',
  'LINE',
  'SMS',
  'CUSTOM',
  'VOICE',
  'EMAIL',
  'PUSH',
  'GCM',
  'APNS',
  'APNS_SANDBOX',
  'APNS_VOIP',
  'APNS_VOIP_SANDBOX',
  'ADM',
  'BAIDU',
  'IN_APP',
] as const;

export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** The kinds of provider Herald can deliver through. */
export const PROVIDER_KINDS = [
  'whatsapp-cloud',
  'eum-social',
  'line',
  'eum-sms',
  'twilio',
  'custom',
] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Which channel type each provider carries. */
export const PROVIDER_CHANNEL_TYPE: Readonly<Record<ProviderKind, ChannelType>> = {
  'whatsapp-cloud': 'WHATSAPP',
  'eum-social': 'WHATSAPP',
  line: 'LINE',
  'eum-sms': 'SMS',
  twilio: 'SMS',
  custom: 'CUSTOM',
};
