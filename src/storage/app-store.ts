import type { Kysely } from 'kysely';
import type { ApiKey, App } from '../domain/app.js';
import type { AppStore, StoredApiKey } from '../ports/app-store.js';
import type { Database } from './database.js';

export class KyselyAppStore implements AppStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createApp(app: App, firstKey: StoredApiKey): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('apps')
        .values({ id: app.id, name: app.name, created_at: app.createdAt })
        .execute();
      await trx.insertInto('api_keys').values(keyRow(firstKey)).execute();
    });
  }

  async getApp(appId: string): Promise<App | undefined> {
    const row = await this.db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
    return row && toApp(row);
  }

  async listApps(options: { limit: number; afterId?: string }): Promise<App[]> {
    let query = this.db.selectFrom('apps').selectAll().orderBy('id').limit(options.limit);
    if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
    return (await query.execute()).map(toApp);
  }

  async deleteApp(appId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('apps').where('id', '=', appId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async createKey(key: StoredApiKey): Promise<void> {
    await this.db.insertInto('api_keys').values(keyRow(key)).execute();
  }

  async listKeys(appId: string, options: { limit: number; afterId?: string }): Promise<ApiKey[]> {
    let query = this.db
      .selectFrom('api_keys')
      .select(['id', 'app_id', 'name', 'hint', 'created_at'])
      .where('app_id', '=', appId)
      .orderBy('id')
      .limit(options.limit);
    if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
    return (await query.execute()).map((row) => ({
      id: row.id,
      appId: row.app_id,
      name: row.name,
      hint: row.hint,
      createdAt: row.created_at,
    }));
  }

  async deleteKey(appId: string, keyId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('api_keys')
      .where('app_id', '=', appId)
      .where('id', '=', keyId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async findKey(keyId: string): Promise<StoredApiKey | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
    return (
      row && {
        id: row.id,
        appId: row.app_id,
        name: row.name,
        hint: row.hint,
        createdAt: row.created_at,
        secretHash: row.secret_hash,
      }
    );
  }
}

function toApp(row: { id: string; name: string; created_at: number }): App {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

function keyRow(key: StoredApiKey) {
  return {
    id: key.id,
    app_id: key.appId,
    name: key.name,
    secret_hash: key.secretHash,
    hint: key.hint,
    created_at: key.createdAt,
  };
}
