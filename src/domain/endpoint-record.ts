import { DEMOGRAPHIC_FIELDS, type Endpoint, LOCATION_FIELDS } from './endpoint.js';
import type { EndpointPatch } from './endpoint-patch.js';
import { parseInstant } from './instant.js';

/** One value of an endpoint record: text, a number, or null for a field the endpoint leaves out. */
export type RecordValue = string | number | null;

/**
 * An endpoint as stores keep it, flattened to `RECORD_FIELDS.length` values in this order: booleans as 0/1, the
 * attribute, metric and user-attribute maps as JSON text, and the values that read as instants copied beside
 * them in epoch ms (`attributeTimes`, `userAttributeTimes`: JSON, or null when there are none). The app id and
 * the times of the write are left out: the store adds them.
 *
 * A flat list of primitives rather than an object so that a batch of them crosses from an import's reader thread
 * to the writer as cheaply as the platform allows (a structured clone of a flat array), and is bound to a
 * multi-row statement without building an object per row.
 */
export const RECORD_FIELDS = [
  'id',
  'channelType',
  'address',
  'active',
  'optOut',
  'effectiveDate',
  'requestId',
  'userId',
  ...LOCATION_FIELDS,
  ...DEMOGRAPHIC_FIELDS,
  'attributes',
  'metrics',
  'userAttributes',
  'attributeTimes',
  'userAttributeTimes',
] as const;

export type RecordField = (typeof RECORD_FIELDS)[number];

export const RECORD_WIDTH = RECORD_FIELDS.length;

/** The position of each field in a record. */
export const RECORD_AT = Object.fromEntries(RECORD_FIELDS.map((field, i) => [field, i])) as {
  readonly [F in RecordField]: number;
};

/**
 * Appends the endpoint's record to `out` (a batch of records is one flat list).
 *
 * @example
 * const records: RecordValue[] = [];
 * appendEndpointRecord(records, endpoint);
 * records[RECORD_AT.address]; // '+16505551234'
 */
export function appendEndpointRecord(out: RecordValue[], endpoint: Endpoint): void {
  const location = endpoint.location;
  const demographic = endpoint.demographic;
  const userAttributes = endpoint.user?.userAttributes ?? {};
  out.push(
    endpoint.id,
    endpoint.channelType,
    endpoint.address,
    endpoint.endpointStatus === 'ACTIVE' ? 1 : 0,
    endpoint.optOut === 'ALL' ? 1 : 0,
    endpoint.effectiveDate ?? null,
    endpoint.requestId ?? null,
    endpoint.user?.userId ?? null,
    location.country ?? null,
    location.city ?? null,
    location.region ?? null,
    location.postalCode ?? null,
    location.latitude ?? null,
    location.longitude ?? null,
    demographic.locale ?? null,
    demographic.timezone ?? null,
    demographic.platform ?? null,
    demographic.platformVersion ?? null,
    demographic.make ?? null,
    demographic.model ?? null,
    demographic.modelVersion ?? null,
    demographic.appVersion ?? null,
    JSON.stringify(endpoint.attributes),
    JSON.stringify(endpoint.metrics),
    JSON.stringify(userAttributes),
    jsonOrNull(timesOf(endpoint.attributes)),
    jsonOrNull(timesOf(userAttributes)),
  );
}

/**
 * Appends the record of the endpoint `patch` makes when its id is new: `appendEndpointRecord` of
 * `applyEndpointPatch(undefined, patch)`, without building the endpoint (an import makes a million of them).
 * Adds the names of its attributes, metrics and user attributes to `names`. False, with nothing appended, when
 * the patch lacks the channel type or the address a new endpoint needs.
 *
 * @example
 * appendNewEndpointRecord(records, { id: 'e1', channelType: 'SMS', address: '+16505551234' }, names);
 */
export function appendNewEndpointRecord(
  out: RecordValue[],
  patch: EndpointPatch,
  names: { attributes: Set<string>; metrics: Set<string>; userAttributes: Set<string> },
): boolean {
  if (patch.channelType === undefined || patch.address === undefined) return false;
  const location = (patch.location ?? {}) as Readonly<Record<string, string | number | null | undefined>>;
  const demographic = (patch.demographic ?? {}) as Readonly<Record<string, string | null | undefined>>;
  const attributes = presentLists(patch.attributes, names.attributes);
  const userAttributes = presentLists(patch.user?.userAttributes, names.userAttributes);
  const metrics: Record<string, number> = {};
  for (const name in patch.metrics) {
    const value = patch.metrics[name];
    if (value === null || value === undefined) continue;
    metrics[name] = value;
    names.metrics.add(name);
  }
  out.push(
    patch.id,
    patch.channelType,
    patch.address,
    (patch.endpointStatus ?? 'ACTIVE') === 'ACTIVE' ? 1 : 0,
    patch.optOut === 'ALL' ? 1 : 0,
    patch.effectiveDate ?? null,
    patch.requestId ?? null,
    patch.user?.userId ?? null,
  );
  for (const field of LOCATION_FIELDS) out.push(location[field] ?? null);
  for (const field of DEMOGRAPHIC_FIELDS) out.push(demographic[field] ?? null);
  out.push(
    JSON.stringify(attributes),
    JSON.stringify(metrics),
    JSON.stringify(userAttributes),
    jsonOrNull(timesOf(attributes)),
    jsonOrNull(timesOf(userAttributes)),
  );
  return true;
}

/** The lists given with values (an empty list removes a name, which a new endpoint has not got anyway). */
function presentLists(
  lists: Readonly<Record<string, readonly string[]>> | undefined,
  names: Set<string>,
): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const name in lists) {
    const values = lists[name] as readonly string[];
    if (values.length === 0) continue;
    out[name] = values;
    names.add(name);
  }
  return out;
}

/**
 * The attribute names an endpoint uses, as `<kind>\u0000<name>` (the per-app quota counts each once).
 *
 * @example
 * attributeKeysOf(endpoint); // ['attributes\u0000Interests', 'metrics\u0000sessions']
 */
export function attributeKeysOf(endpoint: Endpoint): string[] {
  const keys: string[] = [];
  for (const name of Object.keys(endpoint.attributes)) keys.push(`attributes\u0000${name}`);
  for (const name of Object.keys(endpoint.metrics)) keys.push(`metrics\u0000${name}`);
  for (const name of Object.keys(endpoint.user?.userAttributes ?? {}))
    keys.push(`userAttributes\u0000${name}`);
  return keys;
}

/**
 * The size the endpoint quota (`ENDPOINT_QUOTAS.endpointBytes`) measures: address, id and the JSON of its maps.
 */
export function recordBytes(records: readonly RecordValue[], at: number): number {
  let size = String(records[at + RECORD_AT.address]).length + String(records[at + RECORD_AT.id]).length;
  for (const field of [RECORD_AT.attributes, RECORD_AT.metrics, RECORD_AT.userAttributes]) {
    const value = records[at + field];
    if (typeof value === 'string') size += value.length;
  }
  return size;
}

function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** Epoch ms of the values that read as instants, by name; null when none do. */
function timesOf(lists: Readonly<Record<string, readonly string[]>>): Record<string, number[]> | null {
  let out: Record<string, number[]> | null = null;
  for (const [name, values] of Object.entries(lists)) {
    for (const value of values) {
      const ms = parseInstant(value);
      if (ms === undefined) continue;
      out ??= {};
      const list = out[name];
      if (list) list.push(ms);
      else out[name] = [ms];
    }
  }
  return out;
}
