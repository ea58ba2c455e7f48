import type { Kysely, Selectable } from 'kysely';
import type { ChannelType, ProviderKind } from '../domain/channel-type.js';
import type { ChannelStore, StoredChannel } from '../ports/channel-store.js';
import type { Database } from './database.js';
import type { ChannelTables } from './tables/channel-tables.js';

export class KyselyChannelStore implements ChannelStore {
  constructor(private readonly db: Kysely<Database>) {}

  async put(channel: StoredChannel): Promise<StoredChannel> {
    await writeChannel(this.db, channel);
    const stored = await this.get(channel.appId, channel.id);
    if (!stored) throw new Error('channel vanished after put');
    return stored;
  }

  async get(appId: string, channelId: string): Promise<StoredChannel | undefined> {
    const row = await this.db
      .selectFrom('channels')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', channelId)
      .executeTakeFirst();
    return row && toChannel(row);
  }

  async list(appId: string, filter: { channelType?: ChannelType } = {}): Promise<StoredChannel[]> {
    let query = this.db.selectFrom('channels').selectAll().where('app_id', '=', appId).orderBy('id');
    if (filter.channelType) query = query.where('channel_type', '=', filter.channelType);
    return (await query.execute()).map(toChannel);
  }

  async delete(appId: string, channelId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('channels')
      .where('app_id', '=', appId)
      .where('id', '=', channelId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async findBySenderKey(senderKey: string): Promise<StoredChannel[]> {
    const rows = await this.db
      .selectFrom('channels')
      .selectAll()
      .where('sender_key', '=', senderKey)
      .orderBy('app_id')
      .orderBy('id')
      .execute();
    return rows.map(toChannel);
  }
}

/** Creates or replaces a channel row (keeping `created_at`); in a transaction of the caller's when given one. */
export async function writeChannel(db: Kysely<Database>, channel: StoredChannel): Promise<void> {
  const row = {
    app_id: channel.appId,
    id: channel.id,
    provider: channel.provider,
    channel_type: channel.channelType,
    sender: JSON.stringify(channel.sender),
    options: JSON.stringify(channel.options),
    messages_per_second: channel.limits.messagesPerSecond,
    sender_key: channel.senderKey,
    sealed_credentials: channel.sealedCredentials,
    created_at: channel.createdAt,
    updated_at: channel.updatedAt,
  };
  const { app_id: _a, id: _i, created_at: _c, ...changes } = row;
  await db
    .insertInto('channels')
    .values(row)
    .onConflict((oc) => oc.columns(['app_id', 'id']).doUpdateSet(changes))
    .execute();
}

function toChannel(row: Selectable<ChannelTables['channels']>): StoredChannel {
  return {
    appId: row.app_id,
    id: row.id,
    provider: row.provider as ProviderKind,
    channelType: row.channel_type as ChannelType,
    sender: JSON.parse(row.sender) as Record<string, unknown>,
    options: JSON.parse(row.options) as Record<string, unknown>,
    limits: { messagesPerSecond: row.messages_per_second },
    senderKey: row.sender_key,
    sealedCredentials: row.sealed_credentials,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
