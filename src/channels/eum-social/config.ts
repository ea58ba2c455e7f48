import { z } from 'zod';

/** The AWS End User Messaging Social phone number that sends. */
export const eumSocialSenderSchema = z
  .strictObject({
    originationPhoneNumberId: z
      .string()
      .min(1)
      .max(100)
      .regex(
        /^(phone-number-id-[A-Za-z0-9]+|arn:aws[a-z-]*:social-messaging:[a-z0-9-]+:\d{12}:phone-number-id\/[A-Za-z0-9]+)$/,
        'phone-number-id-… or its ARN',
      )
      .describe('AWS’s phone-number id (`phone-number-id-…`) or its ARN, not Meta’s numeric id.'),
    metaPhoneNumberId: z
      .string()
      .regex(/^\d{1,32}$/, 'digits only')
      .optional()
      .describe(
        'Meta’s numeric phone-number id of the same number. A WABA sends every number’s events to one SNS topic; with this set, events for the WABA’s other numbers are ignored.',
      ),
  })
  .describe('AWS End User Messaging Social sender');

export const eumSocialOptionsSchema = z
  .strictObject({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like us-east-1')
      .default('us-east-1')
      .describe('The region the WhatsApp Business Account is linked in.'),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Overrides the service endpoint; point it at the sandbox (`<herald>/sandbox/eum-social`).'),
    metaApiVersion: z
      .string()
      .regex(/^v\d+\.\d+$/, 'like v20.0')
      .default('v20.0')
      .describe('The Meta API version AWS uses for the forwarded message.'),
    snsTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN')
      .optional()
      .describe(
        'The event destination topic; when set, SNS messages from any other topic are refused (403).',
      ),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('Per-request timeout.'),
  })
  .describe('AWS End User Messaging Social options');

export type EumSocialSender = z.output<typeof eumSocialSenderSchema>;
export type EumSocialOptions = z.output<typeof eumSocialOptionsSchema>;
