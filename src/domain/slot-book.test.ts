import { describe, expect, it } from 'vitest';
import { SlotBook } from './slot-book.js';

describe('SlotBook', () => {
  it('gives out one slot per 1/rate seconds from the due time, never two in the same slot', () => {
    const book = new SlotBook(1_000, 10, []);
    expect([book.take(1_000), book.take(1_000), book.take(1_000)]).toEqual([1_000, 1_100, 1_200]);
    // Due later: its own slot; due earlier than the taken ones: the first free one after them.
    expect(book.take(5_000)).toBe(5_000);
    expect(book.take(1_050)).toBe(1_300);
    expect(book.intervals).toEqual([
      [0, 4],
      [40, 41],
    ]);
  });

  it('merges intervals that meet, and resumes from saved intervals', () => {
    const book = new SlotBook(0, 1, [
      [0, 2],
      [3, 5],
    ]);
    expect(book.take(0)).toBe(2_000);
    expect(book.intervals).toEqual([[0, 5]]);
    const resumed = new SlotBook(0, 1, book.intervals);
    expect(resumed.take(0)).toBe(5_000);
  });

  it('never puts more than `rate` messages in any second, whatever the due times', () => {
    const rate = 7;
    const book = new SlotBook(0, rate, []);
    const times: number[] = [];
    for (let i = 0; i < 500; i++) times.push(book.take(((i * 7919) % 40) * 250));
    times.sort((a, b) => a - b);
    for (let i = rate; i < times.length; i++)
      expect((times[i] as number) - (times[i - rate] as number)).toBeGreaterThanOrEqual(999);
    expect(book.intervals.length).toBeLessThan(20);
  });
});
