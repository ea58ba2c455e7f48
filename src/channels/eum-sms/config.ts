import { z } from 'zod';

/** The origination identity that sends: a phone number, sender id, pool, or their id or ARN. */
export const eumSmsSenderSchema = z
  .strictObject({
    originationIdentity: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9_:/+-]+$/, 'a phone number (+E.164), PhoneNumberId, SenderId, PoolId or an ARN')
      .describe(
        'The origination identity: a phone number in E.164 (`+12065550152`), a PhoneNumberId, SenderId, PoolId, or the ARN of a shared one.',
      ),
  })
  .describe('AWS End User Messaging SMS sender');

export const eumSmsOptionsSchema = z
  .strictObject({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like us-east-1')
      .default('us-east-1')
      .describe('The region of the origination identity.'),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Overrides the service endpoint; point it at the sandbox (`<herald>/sandbox/eum-sms`).'),
    configurationSetName: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9_:/-]+$/)
      .optional()
      .describe('The configuration set whose SNS event destination reports delivery events to Herald.'),
    messageType: z
      .enum(['TRANSACTIONAL', 'PROMOTIONAL'])
      .optional()
      .describe('TRANSACTIONAL for time-critical messages, PROMOTIONAL for marketing.'),
    timeToLiveSeconds: z
      .number()
      .int()
      .min(5)
      .max(259_200)
      .optional()
      .describe('How long AWS may try to hand the message to the carrier (default 72 h).'),
    maxPrice: z
      .string()
      .regex(/^[0-9]{0,2}\.[0-9]{1,5}$/, 'USD like 0.05')
      .optional()
      .describe('The most a message may cost, in USD; pricier messages are refused.'),
    snsTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN')
      .optional()
      .describe(
        'The event destination topic; when set, SNS messages from any other topic are refused (403).',
      ),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('Per-request timeout.'),
  })
  .describe('AWS End User Messaging SMS options');

export type EumSmsSender = z.output<typeof eumSmsSenderSchema>;
export type EumSmsOptions = z.output<typeof eumSmsOptionsSchema>;
