import { sql } from 'kysely';
import type { HeraldMigration } from './herald-migration.js';

/**
 * `conversations.notice_pending` holds when the expiry notice became owed (milliseconds; 0 when none is), not a
 * flag: every attempt to send a notice names it by that time, so an attempt interrupted by a crash is repeated
 * without sending the notice twice. PostgreSQL's `integer` cannot hold milliseconds; SQLite's INTEGER can.
 */
export const m0009NoticeOwedSince: HeraldMigration = {
  name: '0009-notice-owed-since',
  async up(db, { dialect }) {
    if (dialect !== 'postgres') return;
    await sql`alter table conversations alter column notice_pending type bigint`.execute(db);
  },
};
