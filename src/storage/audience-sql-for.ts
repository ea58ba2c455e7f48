import type { AudienceSql } from './audience-sql.js';
import type { DialectName } from './database.js';
import { postgresAudienceSql } from './postgres/audience-sql.js';
import { sqliteAudienceSql } from './sqlite/audience-sql.js';

/** The audience statements for a dialect. Each call returns a fresh instance (PostgreSQL keeps load counters). */
export function audienceSqlFor(dialect: DialectName): AudienceSql {
  return dialect === 'postgres' ? postgresAudienceSql() : sqliteAudienceSql();
}
