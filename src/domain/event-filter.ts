import type { CampaignEventFilter } from './campaign.js';
import { parseInstant } from './instant.js';
import type { AttributeDimension, MetricDimension } from './segment.js';

/** An event an app reported for an endpoint (`POST /v1/apps/{appId}/events`). */
export interface EndpointEvent {
  readonly endpointId: string;
  readonly eventType: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
  /** Epoch ms. */
  readonly timestamp: number;
}

/**
 * Whether an event triggers an EVENT campaign: its type is (INCLUSIVE) or is not (EXCLUSIVE) one of the filter's,
 * every attribute dimension matches the event's attribute value (INCLUSIVE, EXCLUSIVE, CONTAINS, BEFORE, AFTER, ON,
 * BETWEEN as in segments) and every metric dimension its metric. An empty filter matches every event.
 *
 * @example
 * eventMatches({ eventType: { dimensionType: 'INCLUSIVE', values: ['purchase'] } }, event); // true for a purchase
 */
export function eventMatches(filter: CampaignEventFilter | undefined, event: EndpointEvent): boolean {
  if (!filter) return true;
  if (filter.eventType) {
    const listed = filter.eventType.values.includes(event.eventType);
    if (listed !== (filter.eventType.dimensionType === 'INCLUSIVE')) return false;
  }
  for (const [name, dimension] of Object.entries(filter.attributes ?? {})) {
    const value = Object.hasOwn(event.attributes, name) ? event.attributes[name] : undefined;
    if (!attributeMatches(dimension, value)) return false;
  }
  for (const [name, dimension] of Object.entries(filter.metrics ?? {})) {
    const value = Object.hasOwn(event.metrics, name) ? event.metrics[name] : undefined;
    if (value === undefined || !metricMatches(dimension, value)) return false;
  }
  return true;
}

function attributeMatches(dimension: AttributeDimension, value: string | undefined): boolean {
  switch (dimension.attributeType) {
    case 'INCLUSIVE':
      return value !== undefined && dimension.values.includes(value);
    case 'EXCLUSIVE':
      return value === undefined || !dimension.values.includes(value);
    case 'CONTAINS':
      return value !== undefined && dimension.values.some((needle) => value.includes(needle));
    default: {
      const at = value === undefined ? undefined : parseInstant(value);
      if (at === undefined) return false;
      const bounds = dimension.values.map((v) => parseInstant(v) ?? Number.NaN);
      const [first = Number.NaN, second = Number.NaN] = bounds;
      if (dimension.attributeType === 'BEFORE') return at < first;
      if (dimension.attributeType === 'AFTER') return at > first;
      if (dimension.attributeType === 'ON') {
        return new Date(at).toISOString().slice(0, 10) === new Date(first).toISOString().slice(0, 10);
      }
      return at >= first && at <= second;
    }
  }
}

function metricMatches(dimension: MetricDimension, value: number): boolean {
  switch (dimension.comparisonOperator) {
    case 'GREATER_THAN':
      return value > dimension.value;
    case 'LESS_THAN':
      return value < dimension.value;
    case 'GREATER_THAN_OR_EQUAL':
      return value >= dimension.value;
    case 'LESS_THAN_OR_EQUAL':
      return value <= dimension.value;
    case 'EQUAL':
      return value === dimension.value;
  }
}
