import { z } from 'zod';

/** A name for the receiver: the queue partition and rate-limit unit of the channel. */
export const customSenderSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)')
      .describe(
        'A name for this receiver, unique across your channels (e.g. `whatsapp-lambda`); channels with the same name share one rate limit.',
      ),
  })
  .describe('Custom channel sender');

export const customCredentialsSchema = z
  .strictObject({
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name'), z.string().max(4096))
      .optional()
      .describe(
        'Headers sent with every delivery to deliveryUri, e.g. `{"authorization": "Bearer ..."}`: Pinpoint signs nothing, so protect the receiver with a secret.',
      ),
  })
  .describe('Custom channel credentials (write-only)');

export const customOptionsSchema = z
  .strictObject({
    deliveryUri: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'The receiver (Pinpoint’s CustomDeliveryConfiguration.DeliveryUri): each batch of up to 50 endpoints is POSTed to it as Pinpoint’s JSON. Give this or functionName.',
      ),
    functionName: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - (1-64)')
      .optional()
      .describe(
        'A function the administrator registered in herald.config.json `customFunctions` (name -> module path); its `handler(event)` is called with each batch, like Pinpoint’s Lambda. Give this or deliveryUri.',
      ),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(900_000)
      .default(15_000)
      .describe(
        'How long a delivery (HTTP call or function) may take before it counts as failed and is retried.',
      ),
  })
  .refine((o) => (o.deliveryUri === undefined) !== (o.functionName === undefined), {
    message: 'give exactly one of deliveryUri and functionName',
  })
  .describe('Custom channel options');

export type CustomSender = z.output<typeof customSenderSchema>;
export type CustomCredentials = z.output<typeof customCredentialsSchema>;
export type CustomOptions = z.output<typeof customOptionsSchema>;
