import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { KyselyAppStore } from './app-store.js';
import { BulkInsert } from './bulk-insert.js';

describeEachDatabase('BulkInsert', (db) => {
  it('writes any number of rows in power-of-two statements, skips conflicts and returns what it wrote', async () => {
    const apps = new BulkInsert('apps', ['id', 'name', 'created_at'], {
      onConflict: 'nothing',
      returning: 'id',
    });
    expect(apps.rowsPerStatement).toBe(512);
    const rows = Array.from({ length: 1_337 }, (_, i) => [`app-${String(i).padStart(4, '0')}`, `n${i}`, i]);
    const first = await apps.run(db().db, db().dialect, rows);
    expect(first).toHaveLength(1_337);
    const again = await apps.run(db().db, db().dialect, [...rows.slice(0, 3), ['app-new', 'fresh', 1]]);
    expect(again).toEqual([{ id: 'app-new' }]);
    const stored = await new KyselyAppStore(db().db).listApps({ limit: 2_000 });
    expect(stored).toHaveLength(1_338);
    expect(stored.find((a) => a.id === 'app-0042')).toMatchObject({ name: 'n42', createdAt: 42 });
  });

  it('refuses a row of the wrong width instead of shifting values into other columns', async () => {
    const apps = new BulkInsert('apps', ['id', 'name', 'created_at']);
    await expect(apps.run(db().db, db().dialect, [['a', 'b']])).rejects.toThrow(/2 values for 3 columns/);
  });
});
