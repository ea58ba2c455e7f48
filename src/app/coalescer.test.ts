import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer.js';

describe('Coalescer', () => {
  it('writes at once when idle and batches what arrives during a write', async () => {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const coalescer = new Coalescer<number, string>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
        return items.map((i) => `ok ${i}`);
      },
      { maxBatch: 2 },
    );
    const first = coalescer.submit(1);
    const rest = [coalescer.submit(2), coalescer.submit(3), coalescer.submit(4)];
    release?.();
    expect(await Promise.all([first, ...rest])).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4']);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('with two writes in flight, starts a second for what arrives during the first, and no third', async () => {
    const batches: number[][] = [];
    const releases: (() => void)[] = [];
    const coalescer = new Coalescer<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((r) => releases.push(r));
        return items;
      },
      { maxBatch: 10, writesInFlight: 2 },
    );
    const results = [1, 2, 3, 4].map((i) => coalescer.submit(i));
    expect(batches).toEqual([[1], [2]]);
    releases.shift()?.();
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1], [2], [3, 4]]);
    while (releases.length > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4]);
  });

  it('with linger, takes what is submitted in the same turn in one batch', async () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { maxBatch: 10, linger: true },
    );
    expect(await Promise.all([1, 2, 3].map((i) => coalescer.submit(i)))).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('fails every item of a failed batch, and goes on with the next', async () => {
    let calls = 0;
    const coalescer = new Coalescer<number, number>(
      async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('disk full');
        return items;
      },
      { maxBatch: 10 },
    );
    await expect(coalescer.submit(1)).rejects.toThrow('disk full');
    expect(await coalescer.submit(2)).toBe(2);
  });
});
