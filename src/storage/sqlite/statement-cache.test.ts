import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from './statement-cache.js';

describe('withStatementCache', () => {
  it('hands out the same statement for the same SQL, a fresh one while it is being iterated, and evicts the oldest', () => {
    const sqlite = new SQLite(':memory:');
    const cached = withStatementCache(sqlite, 2);
    const a = cached.prepare('select 1 as x');
    expect(cached.prepare('select 1 as x')).toBe(a);

    const iterating = cached.prepare('select 2 as x');
    const iterator = iterating.iterate([]);
    iterator.next();
    const during = cached.prepare('select 2 as x');
    expect(during).not.toBe(iterating);
    expect(during.all([])).toEqual([{ x: 2 }]);
    iterator.return?.();
    expect(cached.prepare('select 2 as x')).toBe(iterating);

    cached.prepare('select 3 as x');
    expect(cached.prepare('select 1 as x')).not.toBe(a);
    cached.close();
  });
});
