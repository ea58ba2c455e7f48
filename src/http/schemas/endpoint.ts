import { z } from 'zod';
import { CHANNEL_TYPES } from '../../domain/channel-type.js';
import type { Endpoint } from '../../domain/endpoint.js';
import { timestamp, toIso } from './common.js';

const text = z.string();
const nullableText = text.nullable().optional();
const stringLists = z
  .record(z.string(), z.array(z.string()))
  .describe('Name -> values. Given names replace their values; an empty list removes the name.');

const endpointFields = {
  channelType: z.enum(CHANNEL_TYPES).optional().describe('Required for a new endpoint.'),
  address: text
    .optional()
    .describe(
      'Required for a new endpoint. WHATSAPP and SMS: a phone number in international format, stored in E.164. LINE: the user id (U + 32 hex digits).',
    ),
  endpointStatus: z
    .enum(['ACTIVE', 'INACTIVE'])
    .optional()
    .describe(
      'Every write makes the endpoint ACTIVE (taking its address from any other endpoint of the channel) unless INACTIVE is given.',
    ),
  optOut: z
    .enum(['NONE', 'ALL'])
    .optional()
    .describe(
      "A new endpoint whose address is on the app's opt-out list (a STOP keyword or LINE unfollow, even before the endpoint existed) is ALL whatever is given. NONE on a stored endpoint is fresh consent: it also takes the address off the list.",
    ),
  effectiveDate: text.optional().meta({ example: '2026-01-01T10:00:00.000Z' }),
  requestId: text.optional(),
  location: z
    .strictObject({
      country: nullableText,
      city: nullableText,
      region: nullableText,
      postalCode: nullableText,
      latitude: z.number().nullable().optional(),
      longitude: z.number().nullable().optional(),
    })
    .optional()
    .describe('Merged field by field; null clears a field.'),
  demographic: z
    .strictObject({
      locale: nullableText.describe(
        'A language code, alone or with its country: en, en_US, pt_BR (en-US is read as en_US). The consent template’s language is matched on it.',
      ),
      timezone: nullableText.describe(
        'An IANA zone (America/New_York), or UTC or an offset from UTC-12 to UTC+14 (UTC+05:30): the zone of local-time campaigns and quiet time.',
      ),
      platform: nullableText,
      platformVersion: nullableText,
      make: nullableText,
      model: nullableText,
      modelVersion: nullableText,
      appVersion: nullableText,
    })
    .optional()
    .describe('Merged field by field; null clears a field.'),
  attributes: stringLists.optional(),
  metrics: z
    .record(z.string(), z.number().nullable())
    .optional()
    .describe('Name -> number. Given names replace; null removes the name.'),
  user: z
    .strictObject({
      userId: text.nullable().optional().describe('null detaches the endpoint from its user.'),
      userAttributes: stringLists.optional(),
    })
    .optional(),
};

/** PUT body of one endpoint (the id is in the path). Pinpoint's EndpointRequest in camelCase. */
export const endpointBody = z.strictObject(endpointFields).meta({ id: 'EndpointRequest' });

export const endpointBatchBody = z
  .strictObject({
    items: z
      .array(z.strictObject({ id: text.describe('The endpoint id.'), ...endpointFields }))
      .min(1)
      .max(100),
  })
  .meta({ id: 'EndpointBatchRequest' });

export const endpointJson = z
  .object({
    id: z.string(),
    channelType: z.enum(CHANNEL_TYPES),
    address: z.string(),
    endpointStatus: z.enum(['ACTIVE', 'INACTIVE']),
    optOut: z.enum(['NONE', 'ALL']),
    effectiveDate: z.string().optional(),
    requestId: z.string().optional(),
    attributes: z.record(z.string(), z.array(z.string())),
    metrics: z.record(z.string(), z.number()),
    user: z
      .object({ userId: z.string().optional(), userAttributes: z.record(z.string(), z.array(z.string())) })
      .optional(),
    location: z.object({
      country: z.string().optional(),
      city: z.string().optional(),
      region: z.string().optional(),
      postalCode: z.string().optional(),
      latitude: z.number().optional(),
      longitude: z.number().optional(),
    }),
    demographic: z.object({
      locale: z.string().optional(),
      timezone: z.string().optional(),
      platform: z.string().optional(),
      platformVersion: z.string().optional(),
      make: z.string().optional(),
      model: z.string().optional(),
      modelVersion: z.string().optional(),
      appVersion: z.string().optional(),
    }),
    cohortId: z.string().describe('"0".."99", a stable function of the id.'),
    createdAt: timestamp,
    updatedAt: timestamp,
    lastActiveAt: timestamp
      .optional()
      .describe('The last inbound message or event (drives behavior.recency).'),
  })
  .meta({ id: 'Endpoint' });

export function toEndpointJson(endpoint: Endpoint): z.infer<typeof endpointJson> {
  const { appId: _appId, createdAt, updatedAt, lastActiveAt, attributes, metrics, user, ...rest } = endpoint;
  return {
    ...rest,
    attributes: attributes as Record<string, string[]>,
    metrics: { ...metrics },
    ...(user
      ? {
          user: {
            ...(user.userId !== undefined ? { userId: user.userId } : {}),
            userAttributes: user.userAttributes as Record<string, string[]>,
          },
        }
      : {}),
    createdAt: toIso(createdAt),
    updatedAt: toIso(updatedAt),
    ...(lastActiveAt !== undefined ? { lastActiveAt: toIso(lastActiveAt) } : {}),
  };
}
