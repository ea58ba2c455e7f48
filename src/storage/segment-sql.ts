import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { HeraldError } from '../domain/errors.js';
import { parseInstant, startOfUtcDay } from '../domain/instant.js';
import {
  type AttributeDimension,
  type GpsPointDimension,
  type Include,
  type MetricDimension,
  RECENCY_DURATIONS,
  type Segment,
  type SegmentDimensions,
  type SegmentGroupList,
  type SetDimension,
  type SourceSegmentRef,
} from '../domain/segment.js';
import type { AudienceSql, ListColumn, TimeBounds, TimesColumn } from './audience-sql.js';

type Bool = RawBuilder<SqlBool>;

/**
 * What compiling needs: the dialect, the app, the time (for recency) and the source segments, already loaded.
 *
 * @example
 * segmentPredicate(segment, { appId, now: clock.now(), sql: audienceSqlFor('sqlite'), resolve: (ref) => loaded.get(ref.id)! });
 */
export interface SegmentCompileContext {
  readonly appId: string;
  readonly now: number;
  readonly sql: AudienceSql;
  /** The version a reference names (the latest when it names none), loaded beforehand. */
  resolve(ref: SourceSegmentRef): Segment;
}

const TRUE: Bool = sql<SqlBool>`(1 = 1)`;
const FALSE: Bool = sql<SqlBool>`(1 = 0)`;

const DEMOGRAPHIC_COLUMNS = {
  appVersion: 'e.app_version',
  channel: 'e.channel_type',
  make: 'e.make',
  model: 'e.model',
  platform: 'e.platform',
} as const;
const LOCATION_COLUMNS = {
  country: 'e.country',
  city: 'e.city',
  region: 'e.region',
  postalCode: 'e.postal_code',
} as const;

/** Mean Earth radius in kilometres (IUGG). */
const EARTH_RADIUS_KM = 6371.0088;
const KM_PER_DEGREE_LATITUDE = (Math.PI * EARTH_RADIUS_KM) / 180;

/**
 * Compiles a segment into one SQL predicate over the endpoints table aliased `e`: dimensions become column
 * comparisons and the dialect's JSON expressions, source segments are inlined (IMPORT segments as a membership
 * subquery), groups combine with ALL/ANY/NONE. Every part is true or false, never NULL, so NONE (a NOT) is exact.
 * Opted-out and inactive endpoints are the caller's filter.
 */
export function segmentPredicate(segment: Segment, context: SegmentCompileContext): Bool {
  if (segment.segmentType === 'IMPORT') {
    return sql<SqlBool>`e.id in (select m.endpoint_id from segment_members m where m.app_id = ${context.appId} and m.segment_id = ${segment.id})`;
  }
  const parts: Bool[] = [];
  if (segment.dimensions) parts.push(dimensionsPredicate(segment.dimensions, context));
  if (segment.segmentGroups) parts.push(groupsPredicate(segment.segmentGroups, context));
  return all(parts);
}

function groupsPredicate(list: SegmentGroupList, context: SegmentCompileContext): Bool {
  const groups = list.groups.map((group) => {
    const parts: Bool[] = [];
    if (group.sourceSegments.length > 0) {
      parts.push(
        combine(
          group.sourceSegments.map((ref) => segmentPredicate(context.resolve(ref), context)),
          group.sourceType,
        ),
      );
    }
    if (group.dimensions.length > 0) {
      parts.push(
        combine(
          group.dimensions.map((d) => dimensionsPredicate(d, context)),
          group.type,
        ),
      );
    }
    return all(parts);
  });
  return combine(groups, list.include);
}

export function dimensionsPredicate(dimensions: SegmentDimensions, context: SegmentCompileContext): Bool {
  const parts: Bool[] = [];
  for (const [name, column] of Object.entries(DEMOGRAPHIC_COLUMNS)) {
    const dimension = dimensions.demographic?.[name as keyof typeof DEMOGRAPHIC_COLUMNS];
    if (dimension) parts.push(setPredicate(column, dimension, context, name === 'channel'));
  }
  for (const [name, column] of Object.entries(LOCATION_COLUMNS)) {
    const dimension = dimensions.location?.[name as keyof typeof LOCATION_COLUMNS];
    if (dimension) parts.push(setPredicate(column, dimension, context, false));
  }
  if (dimensions.location?.gpsPoint) parts.push(gpsPredicate(dimensions.location.gpsPoint));
  for (const [name, dimension] of Object.entries(dimensions.attributes ?? {})) {
    parts.push(attributePredicate('attributes', 'attribute_times', name, dimension, context));
  }
  for (const [name, dimension] of Object.entries(dimensions.userAttributes ?? {})) {
    parts.push(attributePredicate('user_attributes', 'user_attribute_times', name, dimension, context));
  }
  for (const [name, dimension] of Object.entries(dimensions.metrics ?? {})) {
    parts.push(metricPredicate(name, dimension, context));
  }
  const recency = dimensions.behavior?.recency;
  if (recency) {
    const cutoff = context.now - RECENCY_DURATIONS[recency.duration];
    parts.push(
      recency.recencyType === 'ACTIVE'
        ? sql<SqlBool>`(e.last_active_at is not null and e.last_active_at >= ${cutoff})`
        : sql<SqlBool>`(e.last_active_at is null or e.last_active_at < ${cutoff})`,
    );
  }
  return all(parts);
}

function setPredicate(
  column: string,
  dimension: SetDimension,
  context: SegmentCompileContext,
  notNull: boolean,
): Bool {
  const isIn = context.sql.inList(column, dimension.values);
  if (dimension.dimensionType === 'INCLUSIVE') {
    return notNull ? sql<SqlBool>`(${isIn})` : sql<SqlBool>`(${sql.ref(column)} is not null and ${isIn})`;
  }
  return notNull
    ? sql<SqlBool>`(not (${isIn}))`
    : sql<SqlBool>`(${sql.ref(column)} is null or not (${isIn}))`;
}

function attributePredicate(
  lists: ListColumn,
  times: TimesColumn,
  name: string,
  dimension: AttributeDimension,
  context: SegmentCompileContext,
): Bool {
  const { values } = dimension;
  switch (dimension.attributeType) {
    case 'INCLUSIVE':
      return sql<SqlBool>`(${context.sql.listHasAny(lists, name, values)})`;
    case 'EXCLUSIVE':
      return sql<SqlBool>`(not (${context.sql.listHasAny(lists, name, values)}))`;
    case 'CONTAINS':
      return sql<SqlBool>`(${context.sql.listContainsAny(lists, name, values)})`;
    case 'BEFORE':
      return context.sql.timesWithin(times, name, { lt: instant(values[0], name) });
    case 'AFTER':
      return context.sql.timesWithin(times, name, { gt: instant(values[0], name) });
    case 'ON': {
      const day = startOfUtcDay(instant(values[0], name));
      return context.sql.timesWithin(times, name, { gte: day, lt: day + 86_400_000 });
    }
    case 'BETWEEN': {
      const bounds: TimeBounds = { gte: instant(values[0], name), lte: instant(values[1], name) };
      return context.sql.timesWithin(times, name, bounds);
    }
  }
}

function instant(value: string | undefined, name: string): number {
  const ms = value === undefined ? undefined : parseInstant(value);
  if (ms === undefined) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${name}: date dimensions need ISO 8601 values`, {
      field: name,
    });
  }
  return ms;
}

const OPERATORS = {
  GREATER_THAN: '>',
  LESS_THAN: '<',
  GREATER_THAN_OR_EQUAL: '>=',
  LESS_THAN_OR_EQUAL: '<=',
  EQUAL: '=',
} as const;

function metricPredicate(name: string, dimension: MetricDimension, context: SegmentCompileContext): Bool {
  const value = context.sql.metric(name);
  const operator = sql.raw(OPERATORS[dimension.comparisonOperator]);
  return sql<SqlBool>`coalesce(${value} ${operator} ${dimension.value}, ${FALSE})`;
}

/**
 * Great-circle distance without asin or sqrt, so that rounding can never leave their domain: the haversine
 * term `a` grows with distance, so `distance <= r` is `a <= sin²(r / 2R)`. The latitude band is a cheap
 * prefilter; longitude is not banded (it wraps at ±180°).
 */
function gpsPredicate(point: GpsPointDimension): Bool {
  const { latitude, longitude } = point.coordinates;
  const range = point.rangeInKilometers;
  const halfAngle = range / (2 * EARTH_RADIUS_KM);
  if (halfAngle >= Math.PI / 2) return sql<SqlBool>`(e.latitude is not null and e.longitude is not null)`;
  const limit = Math.sin(halfAngle) ** 2;
  const band = range / KM_PER_DEGREE_LATITUDE;
  const cosLat = Math.cos((latitude * Math.PI) / 180);
  const dLat = sql`sin(radians(e.latitude - ${latitude}) / 2)`;
  const dLon = sql`sin(radians(e.longitude - ${longitude}) / 2)`;
  return sql<SqlBool>`(e.latitude is not null and e.longitude is not null
    and e.latitude >= ${latitude - band} and e.latitude <= ${latitude + band}
    and ${dLat} * ${dLat} + ${cosLat} * cos(radians(e.latitude)) * ${dLon} * ${dLon} <= ${limit})`;
}

function all(parts: readonly Bool[]): Bool {
  if (parts.length === 0) return TRUE;
  if (parts.length === 1) return parts[0] as Bool;
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

function any(parts: readonly Bool[]): Bool {
  if (parts.length === 0) return FALSE;
  if (parts.length === 1) return parts[0] as Bool;
  return sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}

function combine(parts: readonly Bool[], include: Include): Bool {
  if (include === 'ALL') return all(parts);
  if (include === 'ANY') return any(parts);
  return sql<SqlBool>`(not ${any(parts)})`;
}
