import { sql } from 'kysely';
import type { HeraldMigration } from './herald-migration.js';

/**
 * PostgreSQL: the endpoints columns that its indexes are built on compare byte by byte (`COLLATE "C"`). Under
 * the database's locale every key comparison went through the C library's collation, and keeping the three
 * indexes up to date was most of the server's work in an import (half of it with "C"). Ids and addresses are
 * identifiers, not text to sort for a reader, and SQLite already orders them by bytes, so both databases now
 * page endpoints in the same order. SQLite: nothing to do.
 */
export const m0006EndpointKeyCollation: HeraldMigration = {
  name: '0006-endpoint-key-collation',
  async up(db, { dialect }) {
    if (dialect !== 'postgres') return;
    await sql`alter table endpoints
      alter column app_id type text collate "C",
      alter column id type text collate "C",
      alter column channel_type type text collate "C",
      alter column address type text collate "C",
      alter column user_id type text collate "C"`.execute(db);
  },
};
