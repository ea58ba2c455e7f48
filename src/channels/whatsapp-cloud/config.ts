import { z } from 'zod';

/** The WhatsApp Business phone number that sends. */
export const whatsAppCloudSenderSchema = z
  .strictObject({
    phoneNumberId: z
      .string()
      .regex(/^\d{1,32}$/, 'digits only: Meta’s phone-number id, not the phone number')
      .describe('Meta’s numeric phone-number id (WhatsApp Manager > API Setup), not the E.164 number.'),
    wabaId: z
      .string()
      .regex(/^\d{1,32}$/, 'digits only')
      .optional()
      .describe(
        'The WhatsApp Business Account id that owns the number; needed to list its message templates.',
      ),
  })
  .describe('WhatsApp Cloud API sender');

export const whatsAppCloudCredentialsSchema = z
  .strictObject({
    accessToken: z
      .string()
      .min(16)
      .describe(
        'A system-user access token with whatsapp_business_messaging (and _management for templates).',
      ),
    appSecret: z
      .string()
      .min(8)
      .describe('The Meta app secret: webhooks are checked against X-Hub-Signature-256 with it.'),
    verifyToken: z
      .string()
      .min(8)
      .describe('Any secret string; enter the same value as "Verify token" in the app’s webhook settings.'),
  })
  .describe('WhatsApp Cloud API credentials (write-only)');

export const whatsAppCloudOptionsSchema = z
  .strictObject({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://graph.facebook.com')
      .describe(
        'Graph API base URL; point it at the sandbox (`<herald>/sandbox/whatsapp`) for tests and demos.',
      ),
    apiVersion: z
      .string()
      .regex(/^v\d+\.\d+$/, 'like v23.0')
      .default('v23.0')
      .describe('Graph API version used in every path.'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(120_000)
      .default(10_000)
      .describe('Per-request timeout; a send that times out is retried by the delivery engine.'),
  })
  .describe('WhatsApp Cloud API options');

export type WhatsAppCloudSender = z.output<typeof whatsAppCloudSenderSchema>;
export type WhatsAppCloudCredentials = z.output<typeof whatsAppCloudCredentialsSchema>;
export type WhatsAppCloudOptions = z.output<typeof whatsAppCloudOptionsSchema>;
