import { sql } from 'kysely';
import type { TestDatabase } from './test-database.js';

/**
 * Makes every insert into `table` fail until `heal` is called: a crash in the middle of a piece of work, at the
 * step that writes that table, on either database.
 *
 * @example
 * const fault = await injectInsertFault(db(), 'conversations');
 * // ... the work fails at that step and is retried ...
 * await fault.heal();
 */
export async function injectInsertFault(
  database: TestDatabase,
  table: string,
): Promise<{ heal: () => Promise<void> }> {
  const { db, dialect } = database;
  const trigger = sql.id(`herald_test_fault_${table}`);
  const target = sql.id(table);
  if (dialect === 'sqlite') {
    await sql`create trigger ${trigger} before insert on ${target}
      begin select raise(abort, 'injected fault'); end`.execute(db);
    return { heal: async () => void (await sql`drop trigger ${trigger}`.execute(db)) };
  }
  await sql`create or replace function herald_test_fault() returns trigger language plpgsql as
    $$ begin raise exception 'injected fault'; end $$`.execute(db);
  await sql`create trigger ${trigger} before insert on ${target}
    for each row execute function herald_test_fault()`.execute(db);
  return { heal: async () => void (await sql`drop trigger ${trigger} on ${target}`.execute(db)) };
}

/**
 * Whether a stored webhook event failed and waits for its retry: given back to the table due within seconds, where
 * a fresh event is leased for 15 s. (Stored events count an attempt before any processing, so `attempts` cannot
 * tell.) For `eventually`.
 */
export async function aWebhookEventFailed(database: TestDatabase): Promise<true | undefined> {
  const rows = await database.db
    .selectFrom('inbox')
    .select(['received_at', 'locked_until'])
    .where('processed_at', 'is', null)
    .execute();
  return rows.some((r) => r.locked_until !== null && r.locked_until < r.received_at + 10_000) || undefined;
}
