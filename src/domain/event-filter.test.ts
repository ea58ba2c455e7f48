import { describe, expect, it } from 'vitest';
import { type EndpointEvent, eventMatches } from './event-filter.js';

const event = (overrides: Partial<EndpointEvent> = {}): EndpointEvent => ({
  endpointId: 'e1',
  eventType: 'purchase',
  attributes: { plan: 'gold', at: '2026-11-21T10:00:00Z' },
  metrics: { total: 42 },
  timestamp: 0,
  ...overrides,
});

describe('eventMatches', () => {
  it('matches every event without a filter', () => {
    expect(eventMatches(undefined, event())).toBe(true);
    expect(eventMatches({}, event())).toBe(true);
  });

  it('checks the event type, inclusive or exclusive', () => {
    expect(eventMatches({ eventType: { dimensionType: 'INCLUSIVE', values: ['purchase'] } }, event())).toBe(
      true,
    );
    expect(eventMatches({ eventType: { dimensionType: 'INCLUSIVE', values: ['signup'] } }, event())).toBe(
      false,
    );
    expect(eventMatches({ eventType: { dimensionType: 'EXCLUSIVE', values: ['purchase'] } }, event())).toBe(
      false,
    );
  });

  it('checks attributes like segments do', () => {
    const attr = (attributeType: 'INCLUSIVE' | 'EXCLUSIVE' | 'CONTAINS' | 'AFTER' | 'ON', values: string[]) =>
      eventMatches({ attributes: { plan: { attributeType, values } } }, event());
    expect(attr('INCLUSIVE', ['gold'])).toBe(true);
    expect(attr('EXCLUSIVE', ['gold'])).toBe(false);
    expect(attr('CONTAINS', ['ol'])).toBe(true);
    expect(
      eventMatches({ attributes: { at: { attributeType: 'AFTER', values: ['2026-01-01'] } } }, event()),
    ).toBe(true);
    expect(
      eventMatches({ attributes: { at: { attributeType: 'ON', values: ['2026-11-21'] } } }, event()),
    ).toBe(true);
    expect(
      eventMatches({ attributes: { missing: { attributeType: 'EXCLUSIVE', values: ['x'] } } }, event()),
    ).toBe(true);
    expect(
      eventMatches({ attributes: { missing: { attributeType: 'INCLUSIVE', values: ['x'] } } }, event()),
    ).toBe(false);
  });

  it('compares metrics, and a missing metric never matches', () => {
    const metric = (
      comparisonOperator: 'GREATER_THAN' | 'LESS_THAN' | 'EQUAL',
      value: number,
      name = 'total',
    ) => eventMatches({ metrics: { [name]: { comparisonOperator, value } } }, event());
    expect(metric('GREATER_THAN', 10)).toBe(true);
    expect(metric('LESS_THAN', 10)).toBe(false);
    expect(metric('EQUAL', 42)).toBe(true);
    expect(metric('GREATER_THAN', 0, 'other')).toBe(false);
  });
});
