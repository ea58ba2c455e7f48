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
    readonly batchSize?: number;
  };
}

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
 * receiver answers 2xx, for up to `maxAttempts` tries (about a day by default), then dropped with an error log.
 */
export class EventDeliverer {
  constructor(private readonly deps: EventDelivererDeps) {}

  async deliverBatch(): Promise<number> {
    const { deps } = this;
    const now = deps.clock.now();
    const batch = await deps.outbox.claim({
      limit: deps.options?.batchSize ?? 50,
      now,
      leaseMs: 60_000,
      workerId: deps.workerId,
    });
    if (batch.length === 0) return 0;
    const completed: string[] = [];
    await Promise.all(
      batch.map(async (delivery) => {
        if (await this.deliver(delivery)) completed.push(delivery.id);
      }),
    );
    await deps.outbox.complete(completed);
    return batch.length;
  }

  private async deliver(delivery: EventDelivery): Promise<boolean> {
    const { deps } = this;
    const subscription = await deps.subscriptions.get(delivery.event.appId, delivery.subscriptionId);
    if (!subscription) return true;
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
    // 1 s, 2 s, 4 s ... capped at an hour, with jitter: about a day over 20 attempts.
    const base = Math.min(3_600_000, 1000 * 2 ** (delivery.attempts - 1));
    await deps.outbox.retry(
      delivery.id,
      deps.clock.now() + Math.round(base / 2 + deps.random() * (base / 2)),
    );
    return false;
  }
}
