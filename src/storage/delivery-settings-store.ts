import type { Kysely } from 'kysely';
import type { DeliverySettings, DeliverySettingsStore } from '../ports/delivery-settings-store.js';
import type { Database } from './database.js';

export class KyselyDeliverySettingsStore implements DeliverySettingsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(appId: string): Promise<DeliverySettings> {
    const row = await this.db
      .selectFrom('delivery_settings')
      .select('settings')
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.settings) as DeliverySettings) : {};
  }

  async put(appId: string, settings: DeliverySettings, at: number): Promise<void> {
    const json = JSON.stringify(settings);
    await this.db
      .insertInto('delivery_settings')
      .values({ app_id: appId, settings: json, updated_at: at })
      .onConflict((oc) => oc.column('app_id').doUpdateSet({ settings: json, updated_at: at }))
      .execute();
  }
}
