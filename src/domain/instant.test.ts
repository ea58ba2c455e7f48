import { describe, expect, it } from 'vitest';
import { parseInstant, startOfUtcDay } from './instant.js';

describe('parseInstant', () => {
  it('reads dates and date-times with or without offsets, independent of the machine time zone', () => {
    expect(parseInstant('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(parseInstant('2026-01-31T10:00:00Z')).toBe(Date.UTC(2026, 0, 31, 10));
    expect(parseInstant('2026-01-31T10:00:00.5Z')).toBe(Date.UTC(2026, 0, 31, 10, 0, 0, 500));
    expect(parseInstant('2026-01-31T10:00:00.123456Z')).toBe(Date.UTC(2026, 0, 31, 10, 0, 0, 123));
    expect(parseInstant('2026-01-31T10:00:00+07:00')).toBe(Date.UTC(2026, 0, 31, 3));
    expect(parseInstant('2026-01-31T10:00-0130')).toBe(Date.UTC(2026, 0, 31, 11, 30));
    expect(parseInstant('2026-01-31 10:00:00')).toBe(Date.UTC(2026, 0, 31, 10));
    expect(parseInstant('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('refuses what is not an instant', () => {
    for (const value of [
      '',
      'Music',
      '2026-13-01',
      '2026-02-29',
      '2026-02-30',
      '2026-01-31T24:00:00Z',
      '31/01/2026',
      '2026-1-31',
      '12345678901',
      '2026-01-31T10:00:00+25:00',
      '2026-01-31Tfoo',
    ])
      expect(parseInstant(value), value).toBeUndefined();
  });

  it('finds the start of the UTC day', () => {
    expect(startOfUtcDay(Date.UTC(2026, 0, 31, 23, 59))).toBe(Date.UTC(2026, 0, 31));
  });
});
