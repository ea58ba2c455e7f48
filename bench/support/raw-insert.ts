import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import pg from 'pg';
import { RECORD_AT, RECORD_WIDTH, type RecordValue } from '../../src/domain/endpoint-record.js';
import { audienceSqlFor } from '../../src/storage/audience-sql-for.js';
import type { DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { connectPostgres, quoteIdent } from '../../src/storage/postgres/connect.js';
import { connectSqlite } from '../../src/storage/sqlite/connect.js';
import type { BenchContext } from '../scenario.js';
import { BENCH_POSTGRES_URL } from './bench-herald.js';

/**
 * The baseline of the import: the same CSV parsed and its rows written into a fresh database by the same
 * statements as Herald's write of new endpoints (`AudienceSql.insertEndpointRecords` in a bulk transaction:
 * multi-row statements on SQLite, COPY on PostgreSQL), with none of Herald's work (no validation, no E.164, no
 * quotas, no address takeover, no progress). Rows/s.
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
    let records: RecordValue[] = [];
    let count = 0;
    const flush = async () => {
      const batch = records;
      records = [];
      const rows = Array.from({ length: batch.length / RECORD_WIDTH }, (_, i) => i);
      await handle.db.transaction().execute(async (trx) => {
        await audience.beginBulk(trx);
        await audience.insertEndpointRecords(trx, {
          appId: 'raw',
          at: 0,
          records: batch,
          rows,
          inactive: new Set(),
        });
      });
      await audience.afterBulkWrite(handle.db, rows.length);
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
      const record: RecordValue[] = new Array(RECORD_WIDTH).fill(null);
      record[RECORD_AT.id] = id as string;
      record[RECORD_AT.channelType] = channel as string;
      record[RECORD_AT.address] = address as string;
      record[RECORD_AT.active] = 1;
      record[RECORD_AT.optOut] = optOut === 'ALL' ? 1 : 0;
      record[RECORD_AT.userId] = userId ?? null;
      record[RECORD_AT.country] = country ?? null;
      record[RECORD_AT.city] = city ?? null;
      record[RECORD_AT.locale] = locale ?? null;
      record[RECORD_AT.platform] = platform ?? null;
      record[RECORD_AT.attributes] = JSON.stringify(interests.length > 0 ? { Interests: interests } : {});
      record[RECORD_AT.metrics] = JSON.stringify({ sessions: Number(sessions) });
      record[RECORD_AT.userAttributes] = JSON.stringify({ FirstName: [firstName] });
      for (const value of record) records.push(value);
      count++;
      if (records.length === 1000 * RECORD_WIDTH) await flush();
    }
    if (records.length > 0) await flush();
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
