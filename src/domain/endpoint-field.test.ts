import { describe, expect, it } from 'vitest';
import type { Endpoint } from './endpoint.js';
import { endpointField, endpointFieldProblem } from './endpoint-field.js';

const endpoint: Endpoint = {
  appId: 'a',
  id: 'e-1',
  channelType: 'SMS',
  address: '+16505551234',
  endpointStatus: 'ACTIVE',
  optOut: 'NONE',
  attributes: { Interests: ['Music', 'Travel'], Empty: [] },
  metrics: { sessions: 12.5 },
  user: { userId: 'u-1', userAttributes: { FirstName: ['Jane'] } },
  location: { city: 'Seattle', latitude: 47.6 },
  demographic: { locale: 'en_US' },
  cohortId: '42',
  createdAt: Date.parse('2026-01-01T00:00:00Z'),
  updatedAt: Date.parse('2026-02-01T00:00:00Z'),
};

describe('endpoint fields', () => {
  it('reads Pinpoint paths as text', () => {
    expect(endpointField(endpoint, 'Address')).toBe('+16505551234');
    expect(endpointField(endpoint, 'User.UserAttributes.FirstName')).toBe('Jane');
    expect(endpointField(endpoint, 'User.UserId')).toBe('u-1');
    expect(endpointField(endpoint, 'Attributes.Interests')).toBe('Music, Travel');
    expect(endpointField(endpoint, 'Metrics.sessions')).toBe('12.5');
    expect(endpointField(endpoint, 'Location.City')).toBe('Seattle');
    expect(endpointField(endpoint, 'Location.Latitude')).toBe('47.6');
    expect(endpointField(endpoint, 'Demographic.Locale')).toBe('en_US');
    expect(endpointField(endpoint, 'CreationDate')).toBe('2026-01-01T00:00:00.000Z');
    expect(endpointField(endpoint, 'CohortId')).toBe('42');
  });

  it('has no value for what is absent or empty (so a default applies)', () => {
    expect(endpointField(endpoint, 'Attributes.Empty')).toBeUndefined();
    expect(endpointField(endpoint, 'Attributes.Nope')).toBeUndefined();
    expect(endpointField(endpoint, 'Attributes.__proto__')).toBeUndefined();
    expect(endpointField(endpoint, 'Demographic.Timezone')).toBeUndefined();
    expect(
      endpointField({ ...endpoint, user: undefined } as unknown as Endpoint, 'User.UserAttributes.FirstName'),
    ).toBeUndefined();
  });

  it('says what is wrong with a path that is not a field', () => {
    expect(endpointFieldProblem('Attributes.City')).toBeUndefined();
    expect(endpointFieldProblem('User.UserAttributes.FirstName')).toBeUndefined();
    expect(endpointFieldProblem('Location.Street')).toContain('Location has City');
    expect(endpointFieldProblem('Location.constructor')).toContain('Location has City');
    expect(endpointFieldProblem('Demographic.toString')).toContain('Demographic has Locale');
    expect(endpointFieldProblem('Person.Name')).toContain('not an endpoint field');
    expect(endpointFieldProblem('Attributes.')).toContain('Attributes.<name>');
    expect(endpointFieldProblem('User.Nickname')).toContain('User has UserId');
  });
});
