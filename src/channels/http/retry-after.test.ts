import { describe, expect, it } from 'vitest';
import { retryAfterMs, withRetryAfter } from './retry-after.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-11-22T01:00:00Z');

  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs({ 'retry-after': '30' }, now)).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': ' 0 ' }, now)).toBe(0);
    expect(retryAfterMs({ 'retry-after': 'Sun, 22 Nov 2026 01:00:45 GMT' }, now)).toBe(45_000);
    // A date already past is no wait; a day is capped at an hour.
    expect(retryAfterMs({ 'retry-after': 'Sun, 22 Nov 2026 00:59:00 GMT' }, now)).toBe(0);
    expect(retryAfterMs({ 'retry-after': '86400' }, now)).toBe(3_600_000);
    expect(retryAfterMs({ 'retry-after': '-5' }, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': ['7', '9'] }, now)).toBe(7_000);
  });

  it('adds the wait to a throttled failure only, and keeps one the failure already has', () => {
    const headers = { 'retry-after': '5' };
    expect(withRetryAfter({ class: 'throttled', code: 'http_429', message: 'slow' }, headers, now)).toEqual({
      class: 'throttled',
      code: 'http_429',
      message: 'slow',
      retryAfterMs: 5_000,
    });
    const paced = { class: 'throttled', code: '131056', message: 'pair', retryAfterMs: 6_000 } as const;
    expect(withRetryAfter(paced, headers, now)).toBe(paced);
    const failed = { class: 'retryable', code: 'http_503', message: 'down' } as const;
    expect(withRetryAfter(failed, headers, now)).toBe(failed);
  });
});
