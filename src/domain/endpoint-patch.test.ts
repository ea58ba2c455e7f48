import { describe, expect, it } from 'vitest';
import { cohortIdOf } from './cohort-id.js';
import { applyEndpointPatch } from './endpoint-patch.js';

describe('cohortIdOf', () => {
  it('is a stable number from 0 to 99 spread over the buckets', () => {
    expect(cohortIdOf('e-42')).toBe(cohortIdOf('e-42'));
    const counts = new Array(100).fill(0);
    for (let i = 0; i < 100_000; i++) counts[Number(cohortIdOf(`endpoint-${i}`))]++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });
});

describe('applyEndpointPatch', () => {
  const context = { appId: 'a1', at: 1000 };

  it('creates an endpoint with defaults and the cohort of its id', () => {
    const result = applyEndpointPatch(
      undefined,
      { id: 'e1', channelType: 'SMS', address: '+16505551234' },
      context,
    );
    expect(result).toEqual({
      ok: true,
      endpoint: {
        appId: 'a1',
        id: 'e1',
        channelType: 'SMS',
        address: '+16505551234',
        endpointStatus: 'ACTIVE',
        optOut: 'NONE',
        attributes: {},
        metrics: {},
        location: {},
        demographic: {},
        cohortId: cohortIdOf('e1'),
        createdAt: 1000,
        updatedAt: 1000,
      },
    });
  });

  it('honours an explicit INACTIVE status and keeps lastActiveAt', () => {
    const first = applyEndpointPatch(undefined, { id: 'e1', channelType: 'SMS', address: '+1' }, context);
    if (!first.ok) throw new Error('unexpected');
    const next = applyEndpointPatch(
      { ...first.endpoint, lastActiveAt: 5 },
      { id: 'e1', endpointStatus: 'INACTIVE' },
      { appId: 'a1', at: 2000 },
    );
    expect(next).toMatchObject({
      ok: true,
      endpoint: { endpointStatus: 'INACTIVE', lastActiveAt: 5, createdAt: 1000, updatedAt: 2000 },
    });
  });

  it('drops the user when neither an id nor attributes remain', () => {
    const first = applyEndpointPatch(
      undefined,
      { id: 'e1', channelType: 'SMS', address: '+1', user: { userId: 'u' } },
      context,
    );
    if (!first.ok) throw new Error('unexpected');
    const next = applyEndpointPatch(first.endpoint, { id: 'e1', user: { userId: null } }, context);
    expect(next.ok && next.endpoint.user).toBeUndefined();
  });
});
