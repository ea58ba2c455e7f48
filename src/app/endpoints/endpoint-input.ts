import { CHANNEL_TYPES, type ChannelType } from '../../domain/channel-type.js';
import type { EndpointDemographic, EndpointLocation } from '../../domain/endpoint.js';
import type { EndpointPatch } from '../../domain/endpoint-patch.js';
import { ENDPOINT_QUOTAS } from '../../domain/endpoint-quotas.js';
import { isHeraldError } from '../../domain/errors.js';
import { parseInstant } from '../../domain/instant.js';
import { canonicalAddress } from '../delivery/recipient-address.js';

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
  const issues: InputIssue[] = [];
  const bad = (field: string, reason: string, code: InputIssue['code'] = 'HERALD_VALIDATION_FAILED') => {
    issues.push({ field, reason, code });
  };
  const text = (field: string, value: string, max = MAX_TEXT_LENGTH): boolean => {
    if (value.length > max) bad(field, `must be at most ${max} characters`);
    else if (value.includes('\u0000')) bad(field, 'must not contain a NUL character');
    else return true;
    return false;
  };

  const patch: { -readonly [K in keyof EndpointPatch]: EndpointPatch[K] } = { id: input.id };
  if (input.id.length === 0) bad('id', 'must not be empty');
  else text('id', input.id);

  let channelType = stored.channelType;
  if (input.channelType !== undefined) {
    if (CHANNELS.has(input.channelType)) {
      channelType = input.channelType as ChannelType;
      patch.channelType = channelType;
    } else bad('channelType', `must be one of ${CHANNEL_TYPES.join(', ')}`);
  }

  const address = input.address ?? (input.channelType !== undefined ? stored.address : undefined);
  if (address !== undefined && channelType !== undefined && text('address', address)) {
    try {
      patch.address = canonicalAddress(channelType, address, 'address');
    } catch (error) {
      if (!isHeraldError(error)) throw error;
      const reason = error.message.replace(/^address: /, '');
      bad(
        input.address === undefined ? 'channelType' : 'address',
        input.address === undefined
          ? `the stored address is not valid for ${channelType}: ${reason}`
          : reason,
        'HERALD_INVALID_ADDRESS',
      );
    }
  } else if (address !== undefined && channelType === undefined && input.channelType === undefined) {
    // A new endpoint without a channel type: the store reports the missing channel type.
    if (text('address', address)) patch.address = address.trim();
  }

  if (input.endpointStatus !== undefined) {
    if (input.endpointStatus === 'ACTIVE' || input.endpointStatus === 'INACTIVE')
      patch.endpointStatus = input.endpointStatus;
    else bad('endpointStatus', 'must be ACTIVE or INACTIVE');
  }
  if (input.optOut !== undefined) {
    if (input.optOut === 'NONE' || input.optOut === 'ALL') patch.optOut = input.optOut;
    else bad('optOut', 'must be NONE or ALL');
  }
  if (input.effectiveDate !== undefined) {
    const ms = parseInstant(input.effectiveDate);
    if (ms === undefined) bad('effectiveDate', 'must be an ISO 8601 date-time');
    else patch.effectiveDate = new Date(ms).toISOString();
  }
  if (input.requestId !== undefined && text('requestId', input.requestId)) patch.requestId = input.requestId;

  if (input.location) {
    const location: Record<string, string | number | null> = {};
    for (const [field, value] of Object.entries(input.location)) {
      if (value === undefined) continue;
      if (value === null) location[field] = null;
      else if (field === 'latitude' || field === 'longitude') {
        const limit = field === 'latitude' ? 90 : 180;
        if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > limit)
          bad(`location.${field}`, `must be a number from -${limit} to ${limit}`);
        else location[field] = value;
      } else if (typeof value === 'string' && text(`location.${field}`, value)) location[field] = value;
    }
    patch.location = location;
  }
  if (input.demographic) {
    const demographic: Record<string, string | null> = {};
    for (const [field, value] of Object.entries(input.demographic)) {
      if (value === undefined) continue;
      if (value === null) demographic[field] = null;
      else if (typeof value === 'string' && text(`demographic.${field}`, value)) demographic[field] = value;
    }
    patch.demographic = demographic;
  }

  if (input.attributes) patch.attributes = checkLists('attributes', input.attributes, bad);
  if (input.metrics) {
    for (const [name, value] of Object.entries(input.metrics)) {
      checkName('metrics', name, bad);
      if (value !== null && !Number.isFinite(value)) bad(`metrics.${name}`, 'must be a finite number');
    }
    patch.metrics = input.metrics;
  }
  if (input.user) {
    const user: { userId?: string | null; userAttributes?: Record<string, readonly string[]> } = {};
    if (input.user.userId !== undefined) {
      if (input.user.userId === null) user.userId = null;
      else if (input.user.userId.length === 0)
        bad('user.userId', 'must not be empty (null detaches the user)');
      else if (text('user.userId', input.user.userId)) user.userId = input.user.userId;
    }
    if (input.user.userAttributes)
      user.userAttributes = checkLists('user.userAttributes', input.user.userAttributes, bad);
    patch.user = user;
  }
  return issues.length > 0 ? { issues } : { patch };
}

function checkName(
  map: string,
  name: string,
  bad: (field: string, reason: string, code?: InputIssue['code']) => void,
) {
  if (name.length === 0) bad(map, 'names must not be empty');
  else if (name.length > ENDPOINT_QUOTAS.attributeNameLength)
    bad(
      `${map}.${name}`,
      `names are at most ${ENDPOINT_QUOTAS.attributeNameLength} characters`,
      'HERALD_QUOTA_EXCEEDED',
    );
  else if (name.includes('\u0000')) bad(map, 'names must not contain a NUL character');
}

function checkLists(
  map: string,
  lists: Readonly<Record<string, readonly string[]>>,
  bad: (field: string, reason: string, code?: InputIssue['code']) => void,
): Record<string, readonly string[]> {
  for (const [name, values] of Object.entries(lists)) {
    checkName(map, name, bad);
    const field = `${map}.${name}`;
    if (values.length > ENDPOINT_QUOTAS.valuesPerAttribute)
      bad(field, `at most ${ENDPOINT_QUOTAS.valuesPerAttribute} values`, 'HERALD_QUOTA_EXCEEDED');
    for (const value of values) {
      if (value.length > ENDPOINT_QUOTAS.attributeValueLength) {
        bad(
          field,
          `values are at most ${ENDPOINT_QUOTAS.attributeValueLength} characters`,
          'HERALD_QUOTA_EXCEEDED',
        );
        break;
      }
      if (value.includes('\u0000')) {
        bad(field, 'values must not contain a NUL character');
        break;
      }
    }
  }
  return lists;
}
