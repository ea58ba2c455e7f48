import { describe, expect, it } from 'vitest';
import { allocate } from './treatment-allocation.js';

describe('allocate', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `endpoint-${i}`);

  it('holds out and splits by the given shares, within a fraction of a percent over many endpoints', () => {
    const counts = { holdout: 0, t: [0, 0, 0] };
    for (const id of ids) {
      const a = allocate('cmp-1', id, 10, [50, 30, 20]);
      if (a.holdout) counts.holdout += 1;
      else counts.t[a.treatment] = (counts.t[a.treatment] ?? 0) + 1;
    }
    expect(counts.holdout / ids.length).toBeCloseTo(0.1, 1);
    const rest = ids.length - counts.holdout;
    expect((counts.t[0] ?? 0) / rest).toBeCloseTo(0.5, 1);
    expect((counts.t[1] ?? 0) / rest).toBeCloseTo(0.3, 1);
    expect((counts.t[2] ?? 0) / rest).toBeCloseTo(0.2, 1);
  });

  it('is a stable function of the campaign and endpoint ids, and independent between campaigns', () => {
    for (const id of ids.slice(0, 100))
      expect(allocate('cmp-1', id, 20, [50, 50])).toEqual(allocate('cmp-1', id, 20, [50, 50]));
    const same = ids.filter(
      (id) =>
        JSON.stringify(allocate('cmp-1', id, 0, [50, 50])) ===
        JSON.stringify(allocate('cmp-2', id, 0, [50, 50])),
    ).length;
    expect(same / ids.length).toBeGreaterThan(0.45);
    expect(same / ids.length).toBeLessThan(0.55);
  });

  it('holds out nobody at 0% and everybody at 100%', () => {
    expect(ids.slice(0, 500).some((id) => allocate('c', id, 0, [100]).holdout)).toBe(false);
    expect(ids.slice(0, 500).every((id) => allocate('c', id, 100, [100]).holdout)).toBe(true);
  });
});
