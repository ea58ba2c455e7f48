import type { Kysely } from 'kysely';
import { BulkInsert } from './bulk-insert.js';
import type { DialectName } from './database.js';

/** One entry of a message's status history, as the `message_events` table stores it. */
export interface MessageHistoryRow {
  readonly message_id: string;
  readonly at: number;
  readonly status: string;
  readonly error_code: string | null;
}

const HISTORY_ROWS = new BulkInsert('message_events', ['message_id', 'at', 'status', 'error_code']);

/**
 * Appends status history rows as cached multi-row statements. Every status change of every message writes one,
 * so the query builder's cost (about 2.5 µs a row to build and compile) showed up in the delivery loop.
 *
 * @example
 * await insertHistory(trx, 'sqlite', [{ message_id: 'm1', at: Date.now(), status: 'read', error_code: null }]);
 */
export async function insertHistory(
  db: Pick<Kysely<unknown>, 'executeQuery'>,
  dialect: DialectName,
  rows: readonly MessageHistoryRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await HISTORY_ROWS.run(
    db,
    dialect,
    rows.map((r) => [r.message_id, r.at, r.status, r.error_code]),
  );
}
