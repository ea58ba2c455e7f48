/**
 * Segments: Pinpoint's `SegmentDimensions` and `SegmentGroups` in camelCase, versioned. A DIMENSIONAL segment is
 * a filter over the app's endpoints; an IMPORT segment is the list of endpoints an import wrote. Either can be a
 * source segment of another segment's groups.
 *
 * @example
 * const segment: SegmentDefinition = {
 *   dimensions: {
 *     demographic: { channel: { dimensionType: 'INCLUSIVE', values: ['WHATSAPP'] } },
 *     location: { country: { dimensionType: 'INCLUSIVE', values: ['US', 'CA'] } },
 *     attributes: { Interests: { attributeType: 'CONTAINS', values: ['Music'] } },
 *   },
 * };
 */
export interface SegmentDefinition {
  readonly dimensions?: SegmentDimensions;
  readonly segmentGroups?: SegmentGroupList;
}

export type SetDimensionType = 'INCLUSIVE' | 'EXCLUSIVE';

/** Matches when the endpoint's value is (INCLUSIVE) or is not (EXCLUSIVE) one of `values`. */
export interface SetDimension {
  readonly dimensionType: SetDimensionType;
  readonly values: readonly string[];
}

export const ATTRIBUTE_TYPES = [
  'INCLUSIVE',
  'EXCLUSIVE',
  'CONTAINS',
  'BEFORE',
  'AFTER',
  'ON',
  'BETWEEN',
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/**
 * - INCLUSIVE: one of the endpoint's values equals one of `values`; EXCLUSIVE: none does (an endpoint without
 *   the attribute matches).
 * - CONTAINS: one of the endpoint's values contains one of `values` (case-sensitive substring).
 * - BEFORE / AFTER / ON / BETWEEN: the endpoint's values read as ISO 8601 instants; `values` holds one instant
 *   (two for BETWEEN, inclusive). ON compares the UTC date only.
 */
export interface AttributeDimension {
  readonly attributeType: AttributeType;
  readonly values: readonly string[];
}

export const COMPARISON_OPERATORS = [
  'GREATER_THAN',
  'LESS_THAN',
  'GREATER_THAN_OR_EQUAL',
  'LESS_THAN_OR_EQUAL',
  'EQUAL',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export interface MetricDimension {
  readonly comparisonOperator: ComparisonOperator;
  readonly value: number;
}

export const RECENCY_DURATIONS = {
  HR_24: 86_400_000,
  DAY_7: 7 * 86_400_000,
  DAY_14: 14 * 86_400_000,
  DAY_30: 30 * 86_400_000,
} as const;
export type RecencyDuration = keyof typeof RECENCY_DURATIONS;

export interface RecencyDimension {
  readonly duration: RecencyDuration;
  /** ACTIVE: active within the duration; INACTIVE: not active within it (or never). */
  readonly recencyType: 'ACTIVE' | 'INACTIVE';
}

export interface GpsPointDimension {
  readonly coordinates: { readonly latitude: number; readonly longitude: number };
  readonly rangeInKilometers: number;
}

/** Demographic set dimensions: Pinpoint's, with `channel` matching the endpoint's channel type. */
export const DEMOGRAPHIC_DIMENSIONS = ['appVersion', 'channel', 'make', 'model', 'platform'] as const;
export type DemographicDimensionName = (typeof DEMOGRAPHIC_DIMENSIONS)[number];

/** Location set dimensions: Pinpoint's `country`, and Herald's `city`, `region` and `postalCode`. */
export const LOCATION_SET_DIMENSIONS = ['country', 'city', 'region', 'postalCode'] as const;
export type LocationSetDimensionName = (typeof LOCATION_SET_DIMENSIONS)[number];

/** Every criterion given must hold (they are ANDed). */
export interface SegmentDimensions {
  readonly demographic?: { readonly [K in DemographicDimensionName]?: SetDimension };
  readonly location?: { readonly [K in LocationSetDimensionName]?: SetDimension } & {
    readonly gpsPoint?: GpsPointDimension;
  };
  readonly attributes?: Readonly<Record<string, AttributeDimension>>;
  readonly userAttributes?: Readonly<Record<string, AttributeDimension>>;
  readonly metrics?: Readonly<Record<string, MetricDimension>>;
  readonly behavior?: { readonly recency?: RecencyDimension };
}

export type Include = 'ALL' | 'ANY' | 'NONE';

export interface SourceSegmentRef {
  readonly id: string;
  /** A version of the source; the latest at evaluation time when left out. */
  readonly version?: number;
}

/**
 * A group is its base population (the source segments combined by `sourceType`; every endpoint of the app when
 * there are none) filtered by its dimensions combined by `type`. `include` combines the groups.
 */
export interface SegmentGroup {
  readonly type: Include;
  readonly sourceType: Include;
  readonly dimensions: readonly SegmentDimensions[];
  readonly sourceSegments: readonly SourceSegmentRef[];
}

export interface SegmentGroupList {
  readonly include: Include;
  readonly groups: readonly SegmentGroup[];
}

export type SegmentType = 'DIMENSIONAL' | 'IMPORT';

/** One version of a segment. */
export interface Segment extends SegmentDefinition {
  readonly appId: string;
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly segmentType: SegmentType;
  /** IMPORT segments: the import that wrote the members. */
  readonly importId?: string;
  readonly createdAt: number;
  /** When this version was written. */
  readonly updatedAt: number;
}

/** Source segments of a definition, for reference checks. */
export function sourceSegmentsOf(definition: SegmentDefinition): SourceSegmentRef[] {
  return definition.segmentGroups?.groups.flatMap((g) => g.sourceSegments) ?? [];
}

/** How deep source segments may nest (a segment built on a segment built on...). */
export const MAX_SEGMENT_DEPTH = 5;
