import { createHmac } from 'node:crypto';
import type { Clock } from '../../ports/clock.js';
import type { DeliveryMetrics } from '../../ports/delivery-metrics.js';
import type { EventDelivery, EventOutbox } from '../../ports/event-outbox.js';
import type { HttpPools } from '../../ports/http-pools.js';
import type { Logger } from '../../ports/logger.js';
import type { SecretBox } from '../../ports/secret-box.js';
import type { SubscriptionStore } from '../../ports/subscription-store.js';

export interface EventDelivererDeps {
  readonly outbox: EventOutbox;
  readonly subscriptions: SubscriptionStore;
  readonly secrets: SecretBox;
  readonly http: HttpPools;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: DeliveryMetrics;
  readonly random: () => number;
  readonly workerId: string;
  readonly options?: {
    readonly maxAttempts?: number;
    readonly timeoutMs?: number;
    /** Deliveries in flight at once, over all subscriptions. */
    readonly maxInFlight?: number;
    /** Deliveries in flight at once to one subscription. */
    readonly perSubscription?: number;
    /** A delivery not acknowledged this long after its event is dropped. */
    readonly maxAgeMs?: number;
  };
}

/** Deliveries are dropped three days after their event when no receiver acknowledged them. */
export const EVENT_DELIVERY_MAX_AGE_MS = 3 * 24 * 3_600_000;
/** A failing subscription waits 1 s, 2 s, 4 s ... up to this long before the next try. */
const MAX_COOLING_MS = 60_000;

/** The header a receiver checks: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export const SIGNATURE_HEADER = 'herald-signature';

/**
 * Signs a delivery the way receivers verify it.
 *
 * @example
 * signEvent(secret, body, 1795000000); // 't=1795000000,v1=5f1c...'
 */
export function signEvent(secret: string, body: string, timestampSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

/**
 * Delivers Herald's events to subscriptions: POSTed as JSON, signed, retried with backoff (at least once) until the
 * receiver answers 2xx, for up to `maxAttempts` tries (about a day by default) and three days, then dropped with an
 * error log.
 *
 * One receiver cannot hold up the others: deliveries go out as they are claimed (up to `maxInFlight`, 50), at most
 * `perSubscription` (8) to one subscription, and a subscription whose receiver fails is paused (1 s, 2 s, 4 s ... up
 * to a minute, its due deliveries held back in the table) and then tried with one delivery until one succeeds.
 * Before, the loop waited for a whole batch of 50: a receiver that timed out held every other subscription's events
 * 10 s a batch.
 */
export class EventDeliverer {
  private readonly inFlight = new Map<string, number>();
  private running = 0;
  private readonly pending = new Set<Promise<void>>();
  private acknowledged: string[] = [];
  /** Subscriptions whose last delivery failed, in this process. */
  private readonly failing = new Map<string, { failures: number; coolUntil: number }>();

  constructor(private readonly deps: EventDelivererDeps) {}

  /** Claims what can go out now and sends it without waiting for the answers; returns how many it claimed. */
  async deliverBatch(): Promise<number> {
    const { deps } = this;
    await this.flushAcknowledged();
    const maxInFlight = deps.options?.maxInFlight ?? 50;
    if (this.running >= maxInFlight) {
      await Promise.race(this.pending);
      return 1;
    }
    const now = deps.clock.now();
    const skip: string[] = [];
    // No subscription may go past its limit, whichever of the claimed deliveries are its.
    let limit = maxInFlight - this.running;
    for (const [subscriptionId, health] of this.failing) {
      if (health.coolUntil > now) skip.push(subscriptionId);
    }
    const known = new Set([...this.inFlight.keys(), ...this.failing.keys()]);
    for (const subscriptionId of known) {
      if (skip.includes(subscriptionId)) continue;
      const room = this.limitFor(subscriptionId) - (this.inFlight.get(subscriptionId) ?? 0);
      if (room <= 0) skip.push(subscriptionId);
      else limit = Math.min(limit, room);
    }
    limit = Math.min(limit, deps.options?.perSubscription ?? 8);
    const batch = await deps.outbox.claim({ limit, now, leaseMs: 60_000, workerId: deps.workerId, skip });
    for (const delivery of batch) this.start(delivery);
    return batch.length;
  }

  /** Waits for the deliveries in flight and records their outcomes (at shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    await this.flushAcknowledged();
  }

  private limitFor(subscriptionId: string): number {
    // A failing receiver gets one delivery at a time until one succeeds.
    return this.failing.has(subscriptionId) ? 1 : (this.deps.options?.perSubscription ?? 8);
  }

  private start(delivery: EventDelivery): void {
    const { subscriptionId } = delivery;
    this.running += 1;
    this.inFlight.set(subscriptionId, (this.inFlight.get(subscriptionId) ?? 0) + 1);
    const done = this.deliver(delivery)
      .then((acknowledged) => {
        if (acknowledged) this.acknowledged.push(delivery.id);
      })
      .catch((error: unknown) => {
        // The delivery stays claimed and goes again when its lease runs out.
        this.deps.logger.error({ err: error, subscriptionId }, 'could not record an event delivery');
      })
      .finally(() => {
        this.running -= 1;
        const left = (this.inFlight.get(subscriptionId) ?? 1) - 1;
        if (left > 0) this.inFlight.set(subscriptionId, left);
        else this.inFlight.delete(subscriptionId);
        this.pending.delete(done);
      });
    this.pending.add(done);
  }

  private async flushAcknowledged(): Promise<void> {
    if (this.acknowledged.length === 0) return;
    const ids = this.acknowledged;
    this.acknowledged = [];
    try {
      await this.deps.outbox.complete(ids);
    } catch (error) {
      this.acknowledged.push(...ids);
      throw error;
    }
  }

  /** True when the delivery is done with: acknowledged, or given up on. */
  private async deliver(delivery: EventDelivery): Promise<boolean> {
    const { deps } = this;
    const maxAgeMs = deps.options?.maxAgeMs ?? EVENT_DELIVERY_MAX_AGE_MS;
    if (deps.clock.now() - delivery.event.occurredAt > maxAgeMs) {
      deps.metrics.eventDelivery('dropped');
      deps.logger.error(
        { subscriptionId: delivery.subscriptionId, eventId: delivery.event.id, detail: 'too old' },
        'event delivery abandoned',
      );
      return true;
    }
    const subscription = await deps.subscriptions.get(delivery.event.appId, delivery.subscriptionId);
    if (!subscription) {
      this.failing.delete(delivery.subscriptionId);
      return true;
    }
    const body = JSON.stringify(delivery.event);
    const url = new URL(subscription.url);
    const secret = deps.secrets.open(subscription.sealedSecret);
    let ok = false;
    let detail = '';
    let refused = false;
    try {
      const response = await deps.http.pool(url.origin).request({
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Herald',
          'herald-event-id': delivery.event.id,
          'herald-event-type': delivery.event.type,
          [SIGNATURE_HEADER]: signEvent(secret, body, Math.floor(deps.clock.now() / 1000)),
        },
        body,
        headersTimeout: deps.options?.timeoutMs ?? 10_000,
        bodyTimeout: deps.options?.timeoutMs ?? 10_000,
      });
      await response.body.dump();
      ok = response.statusCode >= 200 && response.statusCode < 300;
      detail = `status ${response.statusCode}`;
    } catch (error) {
      detail = error instanceof Error ? error.message : String(error);
      refused = (error as { code?: unknown }).code === 'HERALD_DESTINATION_REFUSED';
    }
    if (ok) {
      this.failing.delete(delivery.subscriptionId);
      deps.metrics.eventDelivery('delivered');
      return true;
    }
    const maxAttempts = deps.options?.maxAttempts ?? 20;
    // A destination Herald will not connect to (HERALD_OUTBOUND_DESTINATIONS) stays refused: no point retrying.
    if (refused || delivery.attempts >= maxAttempts) {
      deps.metrics.eventDelivery('dropped');
      deps.logger.error(
        { subscriptionId: delivery.subscriptionId, eventId: delivery.event.id, detail },
        'event delivery abandoned',
      );
      return true;
    }
    deps.metrics.eventDelivery('retried');
    const now = deps.clock.now();
    // 1 s, 2 s, 4 s ... capped at an hour, with jitter: about a day over 20 attempts.
    const base = Math.min(3_600_000, 1000 * 2 ** (delivery.attempts - 1));
    await deps.outbox.retry(delivery.id, now + Math.round(base / 2 + deps.random() * (base / 2)));
    await this.pause(delivery.subscriptionId, now, detail);
    return false;
  }

  /** The receiver failed: its subscription waits, and its due deliveries with it, so that others go first. */
  private async pause(subscriptionId: string, now: number, detail: string): Promise<void> {
    const current = this.failing.get(subscriptionId);
    // Deliveries that were in flight together fail together: one pause for them, not one longer pause each.
    if (current && current.coolUntil > now) return;
    const failures = (current?.failures ?? 0) + 1;
    const coolUntil = now + Math.min(MAX_COOLING_MS, 1000 * 2 ** (failures - 1));
    this.failing.set(subscriptionId, { failures, coolUntil });
    this.deps.metrics.subscriptionPaused();
    const held = await this.deps.outbox.defer(subscriptionId, coolUntil, now);
    if (failures === 1)
      this.deps.logger.warn({ subscriptionId, detail, held }, 'a subscription receiver failed; pausing it');
  }
}
