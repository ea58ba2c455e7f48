import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { shapedStatement } from './shaped-statement.js';

describe('shapedStatement', () => {
  const sqlite = new SQLite(':memory:');
  sqlite.exec(
    `create table t (id integer primary key, "we""ird name" text, "constructor" text, b blob, n real)`,
  );
  const query = `select id, "we""ird name", "constructor", b, n, 'x' as n from t order by id`;

  it('gives the rows better-sqlite3 gives, for any column name (quotes, repeats, constructor)', () => {
    const insert = shapedStatement(
      sqlite.prepare('insert into t ("we""ird name", "constructor", b, n) values (?, ?, ?, ?)'),
    );
    expect(insert.reader).toBe(false);
    expect(insert.run(['a', 'c', Buffer.from([1, 2]), 1.5]).changes).toBe(1);
    insert.run([null, null, null, null]);

    const shaped = shapedStatement(sqlite.prepare(query));
    const plain = sqlite.prepare(query).all();
    expect(shaped.reader).toBe(true);
    expect(shaped.all([])).toEqual(plain);
    expect([...shaped.iterate([])]).toEqual(plain);
    const [first] = shaped.all([]) as Record<string, unknown>[];
    expect(Object.keys(first ?? {})).toEqual(Object.keys(plain[0] as object));
    expect(first?.n).toBe('x');
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
  });

  it('keeps a column named __proto__ as data, never as the prototype', () => {
    const [row] = shapedStatement(sqlite.prepare(`select 1 as a, '{}' as "__proto__"`)).all([]) as object[];
    expect(Object.keys(row ?? {})).toEqual(['a', '__proto__']);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  it('binds positional parameters from the array Kysely passes, and shapes RETURNING rows', () => {
    const returning = shapedStatement(
      sqlite.prepare('insert into t ("we""ird name", n) values (?, ?) returning id, "we""ird name"'),
    );
    expect(returning.reader).toBe(true);
    expect(returning.all(['r', 2])).toEqual([{ id: 3, 'we"ird name': 'r' }]);
    expect(shapedStatement(sqlite.prepare('select count(*) as c from t where n > ?')).all([1])).toEqual([
      { c: 2 },
    ]);
  });
});
