import type { HeraldEventType } from '../domain/herald-event.js';

export interface Subscription {
  readonly id: string;
  readonly appId: string;
  readonly url: string;
  readonly events: readonly HeraldEventType[];
  readonly createdAt: number;
}

/**
 * The URLs an app wants Herald's events at. Secrets are stored sealed.
 *
 * @example
 * await subscriptions.create({ id, appId, url, events: ['message.status'], createdAt }, sealedSecret);
 */
export interface SubscriptionStore {
  create(subscription: Subscription, sealedSecret: string): Promise<void>;
  list(appId: string): Promise<Subscription[]>;
  get(appId: string, id: string): Promise<(Subscription & { sealedSecret: string }) | undefined>;
  delete(appId: string, id: string): Promise<boolean>;
  /** Apps that have at least one subscription. */
  appsWithSubscriptions(): Promise<string[]>;
}
