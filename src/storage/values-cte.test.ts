import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { valuesCte } from './values-cte.js';

describeEachDatabase('valuesCte', (db) => {
  it('gives back every row with its values typed, nulls included, for any number of rows', async () => {
    for (const count of [1, 2, 7, 300]) {
      const rows = Array.from({ length: count }, (_, i) => [
        `id-${i}`,
        i % 3 === 0 ? null : `it's "quoted" ${i}`,
        1_700_000_000_000 + i,
        i,
      ]);
      const v = valuesCte(
        'v',
        [
          ['id', 'text'],
          ['note', 'text'],
          ['at', 'bigint'],
          ['n', 'integer'],
        ],
        rows,
      );
      const result = await sql<{ id: string; note: string | null; at: string | number; n: number }>`
        WITH ${v} SELECT id, note, at, n FROM v ORDER BY n`.execute(db().db);
      expect(result.rows.map((r) => [r.id, r.note, Number(r.at), Number(r.n)])).toEqual(rows);
    }
  });

  it('joins an UPDATE from its rows', async () => {
    await sql`CREATE TABLE cte_target (id text primary key, label text)`.execute(db().db);
    await sql`INSERT INTO cte_target (id, label) VALUES ('a', 'old'), ('b', 'old'), ('c', 'old')`.execute(
      db().db,
    );
    const v = valuesCte(
      'v',
      [
        ['id', 'text'],
        ['label', 'text'],
      ],
      [
        ['a', 'new a'],
        ['c', 'new c'],
      ],
    );
    await sql`WITH ${v} UPDATE cte_target SET label = v.label FROM v WHERE cte_target.id = v.id`.execute(
      db().db,
    );
    const rows = await sql<{
      id: string;
      label: string;
    }>`SELECT id, label FROM cte_target ORDER BY id`.execute(db().db);
    expect(rows.rows).toEqual([
      { id: 'a', label: 'new a' },
      { id: 'b', label: 'old' },
      { id: 'c', label: 'new c' },
    ]);
  });
});
