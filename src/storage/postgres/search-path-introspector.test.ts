import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL } from '../../../test/helpers/test-database.js';
import { migrateToLatest } from '../migrate.js';
import { connectPostgres, quoteIdent } from './connect.js';

describe('SearchPathIntrospector', () => {
  const schemas: string[] = [];
  const handles: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    for (const schema of schemas.splice(0))
      await admin.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
    await admin.end();
  });
  const schemaName = () => {
    const name = `i_${randomUUID().slice(0, 8)}`;
    schemas.push(name);
    return name;
  };

  it("reads only the search path's tables, with the metadata Kysely's own introspector gives them", async () => {
    const mine = schemaName();
    const other = schemaName();
    const handle = await connectPostgres(TEST_POSTGRES_URL, { schema: mine });
    handles.push(handle);
    await sql`create schema ${sql.id(other)}`.execute(handle.db);
    await sql`create table ${sql.id(other, 'elsewhere')} (id int)`.execute(handle.db);
    await sql`create table ${sql.id(mine, 'things')} (
      id serial primary key, ident bigint generated always as identity, name text not null, note text default 'x'
    )`.execute(handle.db);
    await sql`comment on column ${sql.id(mine, 'things', 'note')} is 'a note'`.execute(handle.db);

    const tables = await handle.db.introspection.getTables();
    // Kysely's own reads every schema of the database (the other one's table, and every test's).
    expect(tables.map((t) => `${t.schema}.${t.name}`)).toEqual([`${mine}.things`]);

    const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${mine}` });
    const kyselys = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    handles.push({ close: () => kyselys.destroy() });
    const theirs = (await kyselys.introspection.getTables()).filter((t) => t.schema === mine);
    expect(tables).toEqual(theirs);
    expect(
      tables[0]?.columns.map((c) => [c.name, c.isAutoIncrementing, c.isNullable, c.hasDefaultValue]),
    ).toEqual([
      ['id', true, false, true],
      ['ident', true, false, false],
      ['name', false, false, false],
      ['note', false, true, true],
    ]);
  });

  it('lets the migrator find its tables, so a second run migrates nothing', async () => {
    const handle = await connectPostgres(TEST_POSTGRES_URL, { schema: schemaName() });
    handles.push(handle);
    expect((await migrateToLatest(handle)).results?.length).toBeGreaterThan(0);
    expect((await migrateToLatest(handle)).results).toEqual([]);
    const internal = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
    expect(internal.map((t) => t.name)).toContain('kysely_migration');
    expect((await handle.db.introspection.getTables()).map((t) => t.name)).not.toContain('kysely_migration');
  });
});
