import { z } from 'zod';

/** The LINE Official Account's Messaging API channel that sends. */
export const lineSenderSchema = z
  .strictObject({
    channelId: z
      .string()
      .regex(/^\d{1,20}$/, 'digits only: the channel id from the LINE Developers console')
      .describe(
        'The Messaging API channel id (LINE Developers console > Basic settings); the rate-limit unit.',
      ),
  })
  .describe('LINE sender');

export const lineCredentialsSchema = z
  .strictObject({
    channelAccessToken: z
      .string()
      .min(16)
      .describe('A long-lived (or stateless) channel access token, sent as `Authorization: Bearer`.'),
    channelSecret: z
      .string()
      .min(8)
      .describe('The channel secret: webhooks are checked against `x-line-signature` with it.'),
  })
  .describe('LINE credentials (write-only)');

export const lineOptionsSchema = z
  .strictObject({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.line.me')
      .describe(
        'Messaging API base URL; point it at the sandbox (`<herald>/sandbox/line`) for tests and demos.',
      ),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(120_000)
      .default(10_000)
      .describe(
        'Per-request timeout. A push that times out is retried with the same X-Line-Retry-Key, so it is never sent twice.',
      ),
  })
  .describe('LINE options');

export type LineSender = z.output<typeof lineSenderSchema>;
export type LineCredentials = z.output<typeof lineCredentialsSchema>;
export type LineOptions = z.output<typeof lineOptionsSchema>;
