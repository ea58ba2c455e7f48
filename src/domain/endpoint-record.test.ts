import { describe, expect, it } from 'vitest';
import { LOCATION_FIELDS } from './endpoint.js';
import { applyEndpointPatch, type EndpointPatch } from './endpoint-patch.js';
import {
  appendEndpointRecord,
  appendNewEndpointRecord,
  attributeKeysOf,
  RECORD_AT,
  RECORD_FIELDS,
  type RecordValue,
} from './endpoint-record.js';

const patches: EndpointPatch[] = [
  { id: 'e1', channelType: 'SMS', address: '+16505551234' },
  {
    id: 'e2',
    channelType: 'WHATSAPP',
    address: '+16505551235',
    endpointStatus: 'INACTIVE',
    optOut: 'ALL',
    effectiveDate: '2026-01-01T00:00:00.000Z',
    requestId: 'r',
    location: {
      country: 'US',
      city: null,
      latitude: 0,
      longitude: -122.5,
      postalCode: '98121',
      region: 'WA',
    },
    demographic: {
      locale: 'en_US',
      timezone: null,
      platform: 'ios',
      platformVersion: '17',
      make: 'apple',
      model: 'iPhone',
      modelVersion: '15',
      appVersion: '1',
    },
    attributes: { b: ['2026-01-02T03:04:05Z', 'x'], a: [], '1': ['one'] },
    metrics: { m: 0, gone: null, n: -1.5 },
    user: { userId: 'u1', userAttributes: { Name: ['Ann'], Empty: [], Day: ['2026-02-03'] } },
  },
  {
    id: 'e3',
    channelType: 'LINE',
    address: 'U0',
    endpointStatus: 'ACTIVE',
    optOut: 'NONE',
    user: { userId: null },
  },
  {
    id: 'e4',
    channelType: 'CUSTOM',
    address: 'c',
    user: { userAttributes: {} },
    attributes: {},
    metrics: {},
  },
];

describe('appendNewEndpointRecord', () => {
  it("is the record of the endpoint a patch makes when nothing is stored, and names that endpoint's keys", () => {
    for (const patch of patches) {
      const result = applyEndpointPatch(undefined, patch, { appId: '', at: 0 });
      if (!result.ok) throw new Error(result.reason);
      const expected: RecordValue[] = [];
      appendEndpointRecord(expected, result.endpoint);
      const actual: RecordValue[] = [];
      const names = {
        attributes: new Set<string>(),
        metrics: new Set<string>(),
        userAttributes: new Set<string>(),
      };
      expect(appendNewEndpointRecord(actual, patch, names)).toBe(true);
      expect(actual).toEqual(expected);
      expect(actual).toHaveLength(RECORD_FIELDS.length);
      const keys = [
        ...[...names.attributes].map((n) => `attributes\u0000${n}`),
        ...[...names.metrics].map((n) => `metrics\u0000${n}`),
        ...[...names.userAttributes].map((n) => `userAttributes\u0000${n}`),
      ];
      expect(keys.sort()).toEqual(attributeKeysOf(result.endpoint).sort());
    }
  });

  it('keeps location fields where the record expects them and refuses a patch without an address', () => {
    expect(RECORD_FIELDS.slice(RECORD_AT.country, RECORD_AT.country + LOCATION_FIELDS.length)).toEqual(
      LOCATION_FIELDS,
    );
    const names = {
      attributes: new Set<string>(),
      metrics: new Set<string>(),
      userAttributes: new Set<string>(),
    };
    const out: RecordValue[] = [];
    expect(appendNewEndpointRecord(out, { id: 'x', channelType: 'SMS' }, names)).toBe(false);
    expect(out).toEqual([]);
  });
});
