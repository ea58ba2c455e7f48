import { m0001Apps } from './0001-apps.js';
import { m0002Audience } from './0002-audience.js';
import { m0003Channels } from './0003-channels.js';
import { m0004Delivery } from './0004-delivery.js';
import { m0005Campaigns } from './0005-campaigns.js';
import { m0006EndpointKeyCollation } from './0006-endpoint-key-collation.js';
import { m0007SealedProviderIds } from './0007-sealed-provider-ids.js';
import { m0008OptOutList } from './0008-opt-out-list.js';
import { m0009NoticeOwedSince } from './0009-notice-owed-since.js';
import type { HeraldMigration } from './herald-migration.js';

/** Every migration, in order. Add new ones at the end. */
export const MIGRATIONS: readonly HeraldMigration[] = [
  m0001Apps,
  m0002Audience,
  m0003Channels,
  m0004Delivery,
  m0005Campaigns,
  m0006EndpointKeyCollation,
  m0007SealedProviderIds,
  m0008OptOutList,
  m0009NoticeOwedSince,
];
