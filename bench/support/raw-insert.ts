import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import pg from 'pg';
import type { EndpointRow } from '../../src/storage/audience-sql.js';
import { audienceSqlFor } from '../../src/storage/audience-sql-for.js';
import type { DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { connectPostgres, quoteIdent } from '../../src/storage/postgres/connect.js';
import { connectSqlite } from '../../src/storage/sqlite/connect.js';
import type { BenchContext } from '../scenario.js';
import { BENCH_POSTGRES_URL } from './bench-herald.js';

/**
 * The baseline of the import: the same CSV parsed and its rows written with the same multi-row statements into
 * a fresh database, with none of Herald's work (no validation, no E.164, no quotas, no address takeover, no
 * progress). Rows/s.
 */
export async function rawInsertRate(ctx: BenchContext): Promise<number> {
  const file = path.join(ctx.workDir, `endpoints-${ctx.size}.csv`);
  let handle: DatabaseHandle;
  let schema: string | undefined;
  if (ctx.database === 'sqlite') {
    handle = connectSqlite(path.join(ctx.workDir, `raw-${randomBytes(4).toString('hex')}.db`));
  } else {
    schema = `bench_raw_${randomBytes(5).toString('hex')}`;
    handle = await connectPostgres(BENCH_POSTGRES_URL, { schema, maxConnections: 2 });
  }
  try {
    await migrateToLatest(handle);
    await handle.db.insertInto('apps').values({ id: 'raw', name: 'raw', created_at: 0 }).execute();
    const audience = audienceSqlFor(handle.dialect);
    const started = performance.now();
    let rows: EndpointRow[] = [];
    let count = 0;
    const flush = async () => {
      const batch = rows;
      rows = [];
      await handle.db.transaction().execute((trx) => audience.writeEndpointRows(trx, batch));
      await audience.afterBulkWrite(handle.db, batch.length);
    };
    let header = true;
    for await (const cells of fs
      .createReadStream(file)
      .pipe(parse({ relax_column_count: true })) as AsyncIterable<string[]>) {
      if (header) {
        header = false;
        continue;
      }
      const [
        id,
        channel,
        address,
        optOut,
        country,
        city,
        platform,
        locale,
        userId,
        firstName,
        i1,
        i2,
        sessions,
      ] = cells;
      const interests = [i1, i2].filter(Boolean);
      rows.push({
        app_id: 'raw',
        id: id as string,
        channel_type: channel as string,
        address: address as string,
        active: 1,
        opt_out: optOut === 'ALL' ? 1 : 0,
        effective_date: null,
        request_id: null,
        user_id: userId ?? null,
        country: country ?? null,
        city: city ?? null,
        region: null,
        postal_code: null,
        latitude: null,
        longitude: null,
        locale: locale ?? null,
        timezone: null,
        platform: platform ?? null,
        platform_version: null,
        make: null,
        model: null,
        model_version: null,
        app_version: null,
        attributes: audience.json(interests.length > 0 ? { Interests: interests } : {}),
        metrics: audience.json({ sessions: Number(sessions) }),
        user_attributes: audience.json({ FirstName: [firstName] }),
        attribute_times: null,
        user_attribute_times: null,
        last_active_at: null,
        created_at: 0,
        updated_at: 0,
      });
      count++;
      if (rows.length === 1000) await flush();
    }
    if (rows.length > 0) await flush();
    return count / ((performance.now() - started) / 1000);
  } finally {
    await handle.close();
    if (schema) {
      const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
      await client.end();
    }
  }
}
