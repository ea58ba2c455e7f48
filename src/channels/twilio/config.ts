import { z } from 'zod';

const E164 = /^(whatsapp:)?\+[1-9]\d{1,14}$/;
const SHORT_CODE = /^\d{3,6}$/;
const ALPHANUMERIC = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/** The Twilio identity that sends: one number (or short code, alphanumeric id), or a Messaging Service. */
export const twilioSenderSchema = z
  .strictObject({
    from: z
      .string()
      .refine((v) => E164.test(v) || SHORT_CODE.test(v) || ALPHANUMERIC.test(v), {
        message:
          'an E.164 number (+15017122661), a short code, or an alphanumeric sender id of up to 11 characters',
      })
      .optional()
      .describe(
        'The sending number in E.164 (or a short code, or an alphanumeric sender id). Give this or messagingServiceSid.',
      ),
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-f]{32}$/, 'MG followed by 32 hex digits')
      .optional()
      .describe('A Messaging Service (MG...) that picks the number from its pool. Give this or from.'),
  })
  .refine((s) => (s.from === undefined) !== (s.messagingServiceSid === undefined), {
    message: 'give exactly one of from and messagingServiceSid',
  })
  .describe('Twilio sender');

export const twilioCredentialsSchema = z
  .strictObject({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-f]{32}$/, 'AC followed by 32 hex digits')
      .describe('The Account SID (AC...) from the Twilio console.'),
    authToken: z
      .string()
      .min(16)
      .describe(
        'The account’s Auth Token: status callbacks and inbound webhooks are checked against X-Twilio-Signature with it.',
      ),
    apiKeySid: z
      .string()
      .regex(/^SK[0-9a-f]{32}$/, 'SK followed by 32 hex digits')
      .optional()
      .describe('Optional API key (SK...) to send with instead of the Auth Token; needs apiKeySecret.'),
    apiKeySecret: z.string().min(16).optional().describe('The API key’s secret.'),
  })
  .refine((c) => (c.apiKeySid === undefined) === (c.apiKeySecret === undefined), {
    message: 'apiKeySid and apiKeySecret go together',
    path: ['apiKeySecret'],
  })
  .describe('Twilio credentials (write-only)');

export const twilioOptionsSchema = z
  .strictObject({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.twilio.com')
      .describe(
        'REST API base URL; point it at the sandbox (`<herald>/sandbox/twilio`) for tests and demos.',
      ),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(120_000)
      .default(10_000)
      .describe('Per-request timeout; a send that times out is retried by the delivery engine.'),
  })
  .describe('Twilio options');

export type TwilioSender = z.output<typeof twilioSenderSchema>;
export type TwilioCredentials = z.output<typeof twilioCredentialsSchema>;
export type TwilioOptions = z.output<typeof twilioOptionsSchema>;
