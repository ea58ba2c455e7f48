import type { DatabaseConfig } from '../config/load-config.js';
import type { DatabaseHandle } from './database.js';
import { connectPostgres, type PostgresOptions } from './postgres/connect.js';
import { connectSqlite } from './sqlite/connect.js';

export async function openDatabase(
  config: DatabaseConfig,
  options: PostgresOptions = {},
): Promise<DatabaseHandle> {
  return config.kind === 'sqlite'
    ? connectSqlite(config.path, config.cacheMb === undefined ? {} : { cacheMb: config.cacheMb })
    : connectPostgres(config.url, options);
}
