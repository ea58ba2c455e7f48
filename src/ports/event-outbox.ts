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
 * Builds the deliveries that must be stored in the same transaction as the status changes that cause them
 * (a transactional outbox: a change is never committed without its events). Pure; called inside the store's
 * transaction.
 */
export type OutboxWriter = (changes: readonly StatusChange[]) => readonly Omit<EventDelivery, 'attempts'>[];

/**
 * Subscription deliveries, in the jobs table. At least once: a delivery is deleted only when the receiver
 * acknowledged it, and rescheduled with backoff otherwise.
 *
 * @example
 * await outbox.enqueue([{ id, subscriptionId, event }], now);
 * for (const d of await outbox.claim({ limit: 50, now, leaseMs: 30_000, workerId })) post(d);
 */
export interface EventOutbox {
  enqueue(deliveries: readonly Omit<EventDelivery, 'attempts'>[], now: number): Promise<void>;
  claim(options: { limit: number; now: number; leaseMs: number; workerId: string }): Promise<EventDelivery[]>;
  complete(ids: readonly string[]): Promise<void>;
  retry(id: string, runAt: number): Promise<void>;
}
