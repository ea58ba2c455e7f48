import { z } from 'zod';
import { CHANNEL_TYPES } from '../../domain/channel-type.js';
import { parseInstant } from '../../domain/instant.js';
import {
  ATTRIBUTE_TYPES,
  COMPARISON_OPERATORS,
  RECENCY_DURATIONS,
  type Segment,
  type SegmentDimensions,
  type SegmentGroupList,
} from '../../domain/segment.js';
import { timestamp, toIso } from './common.js';

const values = z.array(z.string().min(1).max(100)).min(1).max(100);
const name = z.string().min(1).max(50);

const setDimension = z
  .strictObject({
    dimensionType: z.enum(['INCLUSIVE', 'EXCLUSIVE']).default('INCLUSIVE'),
    values,
  })
  .meta({ id: 'SetDimension' });

const attributeDimension = z
  .strictObject({
    attributeType: z.enum(ATTRIBUTE_TYPES).default('INCLUSIVE'),
    values,
  })
  .superRefine((dimension, ctx) => {
    const type = dimension.attributeType;
    if (type === 'BEFORE' || type === 'AFTER' || type === 'ON' || type === 'BETWEEN') {
      const wanted = type === 'BETWEEN' ? 2 : 1;
      if (dimension.values.length !== wanted) {
        ctx.addIssue({
          code: 'custom',
          path: ['values'],
          message: `${type} takes ${wanted === 1 ? 'one ISO 8601 value' : 'two ISO 8601 values'}`,
        });
        return;
      }
      dimension.values.forEach((value, i) => {
        if (parseInstant(value) === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['values', i],
            message: 'must be an ISO 8601 date or date-time',
          });
      });
      if (type === 'BETWEEN') {
        const [from, to] = dimension.values.map((v) => parseInstant(v) ?? 0);
        if ((from ?? 0) > (to ?? 0))
          ctx.addIssue({
            code: 'custom',
            path: ['values'],
            message: 'BETWEEN needs the earlier instant first',
          });
      }
    }
  })
  .meta({
    id: 'AttributeDimension',
    description:
      'INCLUSIVE/EXCLUSIVE: equal to one/none of the values. CONTAINS: a value contains one of the values (case-sensitive). BEFORE/AFTER/ON (UTC date)/BETWEEN (inclusive): values are ISO 8601 instants.',
  });

const metricDimension = z
  .strictObject({ comparisonOperator: z.enum(COMPARISON_OPERATORS), value: z.number() })
  .meta({ id: 'MetricDimension' });

export const segmentDimensions = z
  .strictObject({
    demographic: z
      .strictObject({
        appVersion: setDimension.optional(),
        channel: setDimension
          .extend({ values: z.array(z.enum(CHANNEL_TYPES)).min(1).max(CHANNEL_TYPES.length) })
          .optional(),
        make: setDimension.optional(),
        model: setDimension.optional(),
        platform: setDimension.optional(),
      })
      .optional()
      .describe("Pinpoint's DeviceType is not supported: Herald's endpoints have no device type."),
    location: z
      .strictObject({
        country: setDimension.optional(),
        city: setDimension.optional(),
        region: setDimension.optional(),
        postalCode: setDimension.optional(),
        gpsPoint: z
          .strictObject({
            coordinates: z.strictObject({
              latitude: z.number().min(-90).max(90),
              longitude: z.number().min(-180).max(180),
            }),
            rangeInKilometers: z.number().positive().max(20_100),
          })
          .optional(),
      })
      .optional(),
    attributes: z.record(name, attributeDimension).optional(),
    userAttributes: z.record(name, attributeDimension).optional(),
    metrics: z.record(name, metricDimension).optional(),
    behavior: z
      .strictObject({
        recency: z.strictObject({
          duration: z.enum(Object.keys(RECENCY_DURATIONS) as [keyof typeof RECENCY_DURATIONS]),
          recencyType: z.enum(['ACTIVE', 'INACTIVE']),
        }),
      })
      .optional(),
  })
  .meta({ id: 'SegmentDimensions', description: 'Every criterion given must hold.' });

const include = z.enum(['ALL', 'ANY', 'NONE']);

export const segmentGroups = z
  .strictObject({
    include: include.default('ALL'),
    groups: z
      .array(
        z.strictObject({
          type: include.default('ALL').describe('How the dimensions combine.'),
          sourceType: include.default('ANY').describe('How the source segments combine.'),
          dimensions: z.array(segmentDimensions).max(10).default([]),
          sourceSegments: z
            .array(
              z.strictObject({
                id: z.string().min(1).max(64),
                version: z.number().int().positive().optional(),
              }),
            )
            .max(10)
            .default([])
            .describe(
              'The base population; every endpoint of the app when empty. `version` defaults to the latest.',
            ),
        }),
      )
      .min(1)
      .max(10),
  })
  .meta({ id: 'SegmentGroupList' });

const segmentName = z.string().trim().min(1).max(128);

export const createSegmentBody = z
  .strictObject({
    name: segmentName,
    dimensions: segmentDimensions.optional(),
    segmentGroups: segmentGroups.optional(),
  })
  .meta({ id: 'WriteSegmentRequest' });

export const updateSegmentBody = z.strictObject({
  name: segmentName.optional(),
  dimensions: segmentDimensions.optional(),
  segmentGroups: segmentGroups.optional(),
});

export const segmentJson = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int(),
    segmentType: z.enum(['DIMENSIONAL', 'IMPORT']),
    dimensions: segmentDimensions.optional(),
    segmentGroups: segmentGroups.optional(),
    importId: z.string().optional(),
    createdAt: timestamp,
    updatedAt: timestamp.describe('When this version was written.'),
  })
  .meta({ id: 'Segment' });

export function toSegmentJson(segment: Segment): z.input<typeof segmentJson> {
  return {
    id: segment.id,
    name: segment.name,
    version: segment.version,
    segmentType: segment.segmentType,
    ...(segment.dimensions ? { dimensions: segment.dimensions as z.input<typeof segmentDimensions> } : {}),
    ...(segment.segmentGroups
      ? { segmentGroups: segment.segmentGroups as z.input<typeof segmentGroups> }
      : {}),
    ...(segment.importId !== undefined ? { importId: segment.importId } : {}),
    createdAt: toIso(segment.createdAt),
    updatedAt: toIso(segment.updatedAt),
  };
}

/** The parsed body as domain types (zod fills the defaults). */
export function toDefinition(body: {
  dimensions?: z.output<typeof segmentDimensions> | undefined;
  segmentGroups?: z.output<typeof segmentGroups> | undefined;
}): { dimensions?: SegmentDimensions; segmentGroups?: SegmentGroupList } {
  return {
    ...(body.dimensions ? { dimensions: body.dimensions as SegmentDimensions } : {}),
    ...(body.segmentGroups ? { segmentGroups: body.segmentGroups as SegmentGroupList } : {}),
  };
}
