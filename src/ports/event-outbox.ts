import type { HeraldEvent } from '../domain/herald-event.js';
import type { StatusChange } from './send-queue.js';

/** One event for one subscription, waiting to be delivered. */
export interface EventDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly event: HeraldEvent;
  /** Including this claim. */
  readonly attempts: number;
}

/**
 * Builds the deliveries of the events a change causes. The store calls it inside the transaction that makes the
 * change and stores them there (a transactional outbox: a change is never committed without its events, so a crash
 * right after the commit loses none). Pure: it cannot read, so the subscriptions are loaded before.
 *
 * @example
 * await events.prepare([appId]);
 * const published: HeraldEvent[] = [];
 * await endpoints.setOptOut(appId, 'WHATSAPP', address, 'ALL', now, events.eventsFor((change) => [optOutEvent(change)], published));
 * events.publish(published); // the live stream, after the commit
 */
export type ChangeEvents<T> = (change: T) => readonly Omit<EventDelivery, 'attempts'>[];

/** The deliveries of a batch of status changes, stored in the ledger's or the queue's transaction. */
export type OutboxWriter = ChangeEvents<readonly StatusChange[]>;

/**
 * Subscription deliveries, in the jobs table. At least once: a delivery is deleted only when the receiver
 * acknowledged it, and rescheduled with backoff otherwise.
 *
 * @example
 * await outbox.enqueue([{ id, subscriptionId, event }], now);
 * for (const d of await outbox.claim({ limit: 8, now, leaseMs: 30_000, workerId, skip: ['sub-down'] })) post(d);
 */
export interface EventOutbox {
  enqueue(deliveries: readonly Omit<EventDelivery, 'attempts'>[], now: number): Promise<void>;
  /** The oldest due deliveries, leased to `workerId`; none of the subscriptions in `skip`. */
  claim(options: {
    limit: number;
    now: number;
    leaseMs: number;
    workerId: string;
    skip?: readonly string[];
  }): Promise<EventDelivery[]>;
  complete(ids: readonly string[]): Promise<void>;
  retry(id: string, runAt: number): Promise<void>;
  /**
   * Holds back a subscription's due, unclaimed deliveries until `until` (a receiver that is failing), without
   * counting an attempt. Returns how many.
   */
  defer(subscriptionId: string, until: number, now: number): Promise<number>;
  /** Deletes deliveries created before `before` that no receiver acknowledged, up to `limit`; returns how many. */
  purge(before: number, limit: number): Promise<number>;
}
