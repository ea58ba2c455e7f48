import { CHANNEL_TYPES, type ChannelType } from '../../domain/channel-type.js';
import type { EndpointDemographic, EndpointLocation } from '../../domain/endpoint.js';
import type { EndpointPatch } from '../../domain/endpoint-patch.js';
import { ENDPOINT_QUOTAS } from '../../domain/endpoint-quotas.js';
import { isHeraldError } from '../../domain/errors.js';
import { parseInstant } from '../../domain/instant.js';
import { isLocale, LOCALE_RULE } from '../../domain/locale.js';
import { canonicalAddress } from '../delivery/recipient-address.js';
import { ZONE_NAME_RULE, zoneName } from '../zone-name.js';

type Loose<T> = { readonly [K in keyof T]?: T[K] | null | undefined };

/**
 * An endpoint write as a client sent it (the API's body, an import row), before validation: channel type and
 * status are strings, addresses are not normalised yet. Field names are Pinpoint's in camelCase.
 *
 * @example
 * const result = validateEndpointInput({ id: 'e1', channelType: 'WHATSAPP', address: '+1 650 555 1234' }, {});
 * if ('patch' in result) result.patch.address; // '+16505551234'
 */
export interface EndpointInput {
  readonly id: string;
  readonly channelType?: string | undefined;
  readonly address?: string | undefined;
  readonly endpointStatus?: string | undefined;
  readonly optOut?: string | undefined;
  readonly effectiveDate?: string | undefined;
  readonly requestId?: string | undefined;
  readonly location?: Loose<EndpointLocation> | undefined;
  readonly demographic?: Loose<EndpointDemographic> | undefined;
  readonly attributes?: Readonly<Record<string, readonly string[]>> | undefined;
  readonly metrics?: Readonly<Record<string, number | null>> | undefined;
  readonly user?:
    | {
        readonly userId?: string | null | undefined;
        readonly userAttributes?: Readonly<Record<string, readonly string[]>> | undefined;
      }
    | undefined;
}

/**
 * One problem with one input: the field (`attributes.Interests`), why, and the error code it maps to.
 *
 * @example
 * { field: 'address', reason: 'not a valid phone number', code: 'HERALD_INVALID_ADDRESS' }
 */
export interface InputIssue {
  readonly field: string;
  readonly reason: string;
  readonly code: 'HERALD_VALIDATION_FAILED' | 'HERALD_INVALID_ADDRESS' | 'HERALD_QUOTA_EXCEEDED';
}

/** Longest id, user id, request id and free-text field. */
export const MAX_TEXT_LENGTH = 256;
const CHANNELS = new Set<string>(CHANNEL_TYPES);

/**
 * Validates and normalises one input. `stored` is what the endpoint holds now when the input leaves out its
 * channel type or address: a changed channel type re-checks the stored address, a new address is normalised
 * for the stored channel type.
 */
export function validateEndpointInput(
  input: EndpointInput,
  stored: { channelType?: ChannelType; address?: string },
): { patch: EndpointPatch } | { issues: InputIssue[] } {
  // Issues are collected through module-level helpers, not closures made per call: an import checks a million
  // inputs, and under tsx (the benchmarks, the tests) every closure made is also named at run time.
  const issues: InputIssue[] = [];

  const patch: { -readonly [K in keyof EndpointPatch]: EndpointPatch[K] } = { id: input.id };
  if (input.id.length === 0) report(issues, 'id', 'must not be empty');
  else text(issues, 'id', input.id);

  let channelType = stored.channelType;
  if (input.channelType !== undefined) {
    if (CHANNELS.has(input.channelType)) {
      channelType = input.channelType as ChannelType;
      patch.channelType = channelType;
    } else report(issues, 'channelType', `must be one of ${CHANNEL_TYPES.join(', ')}`);
  }

  const address = input.address ?? (input.channelType !== undefined ? stored.address : undefined);
  if (address !== undefined && channelType !== undefined && text(issues, 'address', address)) {
    try {
      patch.address = canonicalAddress(channelType, address, 'address');
    } catch (error) {
      if (!isHeraldError(error)) throw error;
      const reason = error.message.replace(/^address: /, '');
      report(
        issues,
        input.address === undefined ? 'channelType' : 'address',
        input.address === undefined
          ? `the stored address is not valid for ${channelType}: ${reason}`
          : reason,
        'HERALD_INVALID_ADDRESS',
      );
    }
  } else if (address !== undefined && channelType === undefined && input.channelType === undefined) {
    // A new endpoint without a channel type: the store reports the missing channel type.
    if (text(issues, 'address', address)) patch.address = address.trim();
  }

  if (input.endpointStatus !== undefined) {
    if (input.endpointStatus === 'ACTIVE' || input.endpointStatus === 'INACTIVE')
      patch.endpointStatus = input.endpointStatus;
    else report(issues, 'endpointStatus', 'must be ACTIVE or INACTIVE');
  }
  if (input.optOut !== undefined) {
    if (input.optOut === 'NONE' || input.optOut === 'ALL') patch.optOut = input.optOut;
    else report(issues, 'optOut', 'must be NONE or ALL');
  }
  if (input.effectiveDate !== undefined) {
    const ms = parseInstant(input.effectiveDate);
    if (ms === undefined) report(issues, 'effectiveDate', 'must be an ISO 8601 date-time');
    else patch.effectiveDate = new Date(ms).toISOString();
  }
  if (input.requestId !== undefined && text(issues, 'requestId', input.requestId))
    patch.requestId = input.requestId;

  if (input.location) {
    const location: Record<string, string | number | null> = {};
    for (const [field, value] of Object.entries(input.location)) {
      if (value === undefined) continue;
      if (value === null) location[field] = null;
      else if (field === 'latitude' || field === 'longitude') {
        const limit = field === 'latitude' ? 90 : 180;
        if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > limit)
          report(issues, `location.${field}`, `must be a number from -${limit} to ${limit}`);
        else location[field] = value;
      } else if (typeof value === 'string' && text(issues, `location.${field}`, value))
        location[field] = value;
    }
    patch.location = location;
  }
  if (input.demographic) {
    const demographic: Record<string, string | null> = {};
    for (const [field, value] of Object.entries(input.demographic)) {
      if (value === undefined) continue;
      if (value === null) demographic[field] = null;
      else if (typeof value === 'string' && text(issues, `demographic.${field}`, value)) {
        // A zone campaigns cannot read made local-time and quiet-time sends use the campaign's zone without a
        // word, and a locale in no known shape never matched a consent template language: both are refused here.
        if (field === 'timezone' && zoneName(value) === undefined)
          report(issues, 'demographic.timezone', `must be ${ZONE_NAME_RULE}`);
        else if (field === 'locale' && !isLocale(value))
          report(issues, 'demographic.locale', `must be ${LOCALE_RULE}`);
        else demographic[field] = value;
      }
    }
    patch.demographic = demographic;
  }

  if (input.attributes) patch.attributes = checkLists('attributes', input.attributes, issues);
  if (input.metrics) {
    for (const [name, value] of Object.entries(input.metrics)) {
      checkName('metrics', name, issues);
      if (value !== null && !Number.isFinite(value))
        report(issues, `metrics.${name}`, 'must be a finite number');
    }
    patch.metrics = input.metrics;
  }
  if (input.user) {
    const user: { userId?: string | null; userAttributes?: Record<string, readonly string[]> } = {};
    if (input.user.userId !== undefined) {
      if (input.user.userId === null) user.userId = null;
      else if (input.user.userId.length === 0)
        report(issues, 'user.userId', 'must not be empty (null detaches the user)');
      else if (text(issues, 'user.userId', input.user.userId)) user.userId = input.user.userId;
    }
    if (input.user.userAttributes)
      user.userAttributes = checkLists('user.userAttributes', input.user.userAttributes, issues);
    patch.user = user;
  }
  return issues.length > 0 ? { issues } : { patch };
}

function report(
  issues: InputIssue[],
  field: string,
  reason: string,
  code: InputIssue['code'] = 'HERALD_VALIDATION_FAILED',
): void {
  issues.push({ field, reason, code });
}

/** True when the free-text value is short enough and holds no NUL; else reports why. */
function text(issues: InputIssue[], field: string, value: string, max = MAX_TEXT_LENGTH): boolean {
  if (value.length > max) report(issues, field, `must be at most ${max} characters`);
  else if (value.includes('\u0000')) report(issues, field, 'must not contain a NUL character');
  else return true;
  return false;
}

/**
 * Characters as a user counts them (code points): an emoji is one, not the two UTF-16 units of `length`. Only
 * counted past the limit in units, which no ASCII text of the limit reaches.
 */
function characters(value: string): number {
  if (value.length <= ENDPOINT_QUOTAS.attributeValueLength) return value.length;
  let n = 0;
  for (const _ of value) n++;
  return n;
}

function checkName(map: string, name: string, issues: InputIssue[]) {
  if (name.length === 0) report(issues, map, 'names must not be empty');
  else if (name.length > ENDPOINT_QUOTAS.attributeNameLength)
    report(
      issues,
      `${map}.${name}`,
      `names are at most ${ENDPOINT_QUOTAS.attributeNameLength} characters`,
      'HERALD_QUOTA_EXCEEDED',
    );
  else if (name.includes('\u0000')) report(issues, map, 'names must not contain a NUL character');
  // The JSON API refuses the key outright (prototype poisoning); a CSV column or NDJSON line must not slip it in.
  else if (name === '__proto__') report(issues, `${map}.${name}`, 'is not a name Herald can store');
}

function checkLists(
  map: string,
  lists: Readonly<Record<string, readonly string[]>>,
  issues: InputIssue[],
): Record<string, readonly string[]> {
  for (const [name, values] of Object.entries(lists)) {
    checkName(map, name, issues);
    const field = `${map}.${name}`;
    if (values.length > ENDPOINT_QUOTAS.valuesPerAttribute)
      report(issues, field, `at most ${ENDPOINT_QUOTAS.valuesPerAttribute} values`, 'HERALD_QUOTA_EXCEEDED');
    for (const value of values) {
      if (characters(value) > ENDPOINT_QUOTAS.attributeValueLength) {
        report(
          issues,
          field,
          `values are at most ${ENDPOINT_QUOTAS.attributeValueLength} characters`,
          'HERALD_QUOTA_EXCEEDED',
        );
        break;
      }
      if (value.includes('\u0000')) {
        report(issues, field, 'values must not contain a NUL character');
        break;
      }
    }
  }
  return lists;
}
