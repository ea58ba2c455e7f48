import { type Kysely, sql } from 'kysely';
import type { Database, DialectName } from './database.js';

/**
 * Locks messages' rows in id order, on PostgreSQL, before a transaction changes them in several statements.
 * The sender's settlement and the ledger's status updates touch the same messages (a status can arrive while
 * its send is being recorded); each statement locks its rows in its own order, so two such transactions could
 * each hold a row the other waits for. Taking every lock up front, in one order, makes the later one wait
 * instead. SQLite has one writer at a time and needs nothing.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   await lockMessageRows(trx, 'postgres', ['m2', 'm1']); // locks m1, then m2
 *   // ... updates of m1 and m2 in any order ...
 * });
 */
export async function lockMessageRows(
  trx: Kysely<Database>,
  dialect: DialectName,
  messageIds: readonly string[],
): Promise<void> {
  if (dialect !== 'postgres' || messageIds.length === 0) return;
  const ids = [...new Set(messageIds)].sort();
  await sql`select id from messages where id = any(${ids}::text[]) order by id for update`.execute(trx);
}
