import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5 }, 0);
    expect(bucket.takeUpTo(0, 100)).toBe(5);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.msUntilAvailable(0)).toBe(100);
    expect(bucket.takeUpTo(1000, 100)).toBe(5);
    expect(bucket.takeUpTo(1300, 100)).toBe(3);
  });

  it('holds the rate over a long run', () => {
    const bucket = new TokenBucket({ ratePerSecond: 80, burst: 5, initialTokens: 0 }, 0);
    let taken = 0;
    for (let t = 0; t <= 10_000; t += 1) taken += bucket.takeUpTo(t, 1000);
    expect(taken).toBe(800);
  });

  it('changes rate without losing earned tokens', () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, initialTokens: 0 }, 0);
    bucket.setRate(10, 500);
    expect(bucket.available(500)).toBe(10);
    expect(bucket.takeUpTo(1500, 100)).toBe(10);
  });
});
