import type { Kysely } from 'kysely';
import type { AppTables } from './tables/app-tables.js';
import type { AudienceTables } from './tables/audience-tables.js';
import type { CampaignTables } from './tables/campaign-tables.js';
import type { ChannelTables } from './tables/channel-tables.js';
import type { DeliveryTables } from './tables/delivery-tables.js';

/** Every table Herald keeps, by area. Each area's tables live in `tables/<area>-tables.ts`. */
export interface Database extends AppTables, AudienceTables, ChannelTables, DeliveryTables, CampaignTables {}

export type DialectName = 'sqlite' | 'postgres';

/**
 * An open database: the Kysely instance, which dialect it speaks (for the few queries that differ), and how to
 * close it.
 *
 * @example
 * const handle = await openDatabase({ kind: 'sqlite', url: 'sqlite::memory:', path: ':memory:' });
 * await handle.db.selectFrom('apps').selectAll().execute();
 * await handle.close();
 */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  close(): Promise<void>;
}
