import type { Kysely, Selectable } from 'kysely';
import type { HeraldEventType } from '../domain/herald-event.js';
import type { Subscription, SubscriptionStore } from '../ports/subscription-store.js';
import type { Database } from './database.js';
import type { DeliveryTables } from './tables/delivery-tables.js';

export class KyselySubscriptionStore implements SubscriptionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(subscription: Subscription, sealedSecret: string): Promise<void> {
    await this.db
      .insertInto('subscriptions')
      .values({
        id: subscription.id,
        app_id: subscription.appId,
        url: subscription.url,
        events: JSON.stringify(subscription.events),
        sealed_secret: sealedSecret,
        created_at: subscription.createdAt,
      })
      .execute();
  }

  async list(appId: string): Promise<Subscription[]> {
    const rows = await this.db
      .selectFrom('subscriptions')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('id')
      .execute();
    return rows.map(toSubscription);
  }

  async get(appId: string, id: string): Promise<(Subscription & { sealedSecret: string }) | undefined> {
    const row = await this.db
      .selectFrom('subscriptions')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { ...toSubscription(row), sealedSecret: row.sealed_secret };
  }

  async appsWithSubscriptions(): Promise<string[]> {
    const rows = await this.db.selectFrom('subscriptions').select('app_id').distinct().execute();
    return rows.map((r) => r.app_id);
  }

  async delete(appId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('subscriptions')
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toSubscription(row: Selectable<DeliveryTables['subscriptions']>): Subscription {
  return {
    id: row.id,
    appId: row.app_id,
    url: row.url,
    events: JSON.parse(row.events) as HeraldEventType[],
    createdAt: row.created_at,
  };
}
