import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { ColumnTypes } from './column-types.js';

/**
 * One schema step that runs on both databases. It is handed the dialect for the few statements that differ.
 * Migrations are never edited once released; a change is a new migration.
 *
 * @example
 * export const m0002: HeraldMigration = {
 *   name: '0002-audience',
 *   async up(db, { types }) { await db.schema.createTable('endpoints').addColumn('id', types.text).execute(); },
 * };
 */
export interface HeraldMigration {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current table types
  up(db: Kysely<any>, context: { dialect: DialectName; types: ColumnTypes }): Promise<void>;
}
