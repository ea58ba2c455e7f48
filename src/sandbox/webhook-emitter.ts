import type { HttpPools } from '../ports/http-pools.js';

export interface WebhookBehaviour {
  /** Each delivery waits a random time between these (ms); unequal waits reorder events. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Share of deliveries sent twice (0-1), as providers do under at-least-once delivery. */
  readonly duplicateRate: number;
  /** Attempts per delivery when the receiver does not answer 2xx (compressed timescale). */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
}

export interface WebhookDelivery {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly method?: 'POST' | 'GET';
  /** What to send on the second and later attempts, when a retry differs (LINE marks redeliveries in the body). */
  readonly redelivery?: WebhookDelivery;
}

const DEFAULTS: WebhookBehaviour = {
  minDelayMs: 0,
  maxDelayMs: 20,
  duplicateRate: 0,
  maxAttempts: 6,
  retryBaseMs: 100,
};

/**
 * Delivers the sandbox's webhooks to Herald (or any receiver): after a random delay, sometimes twice, retried with
 * backoff on failure. `idle()` resolves when nothing is pending, so a test can wait for the last status.
 *
 * @example
 * emitter.emit({ url, headers: { 'x-hub-signature-256': sig, 'content-type': 'application/json' }, body });
 * await emitter.idle();
 */
export class WebhookEmitter {
  private behaviour: WebhookBehaviour = DEFAULTS;
  private pending = 0;
  private waiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  readonly stats = { delivered: 0, failedAttempts: 0, abandoned: 0, duplicatesSent: 0 };

  constructor(
    private readonly http: HttpPools,
    private readonly random: () => number,
  ) {}

  configure(behaviour: Partial<WebhookBehaviour>): WebhookBehaviour {
    this.behaviour = { ...this.behaviour, ...behaviour };
    return this.behaviour;
  }

  get settings(): WebhookBehaviour {
    return this.behaviour;
  }

  /** Schedules a delivery. `afterMs` adds a fixed wait before the random one (status sequences use it). */
  emit(delivery: WebhookDelivery, options: { afterMs?: number; allowDuplicate?: boolean } = {}): void {
    if (this.closed) return;
    const copies = options.allowDuplicate !== false && this.random() < this.behaviour.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats.duplicatesSent += 1;
    for (let i = 0; i < copies; i++) {
      this.schedule(delivery, (options.afterMs ?? 0) + this.randomDelay(), 1);
    }
  }

  /** Sends now and returns the receiver's answer (SNS subscription confirmation, WhatsApp verification). */
  async deliverNow(delivery: WebhookDelivery): Promise<{ status: number; body: string }> {
    const url = new URL(delivery.url);
    const response = await this.http.pool(url.origin).request({
      method: delivery.method ?? 'POST',
      path: `${url.pathname}${url.search}`,
      headers: { ...delivery.headers },
      ...(delivery.method === 'GET' ? {} : { body: delivery.body }),
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get pendingCount(): number {
    return this.pending;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending = 0;
    this.settle();
  }

  private randomDelay(): number {
    const { minDelayMs, maxDelayMs } = this.behaviour;
    return minDelayMs + Math.floor(this.random() * Math.max(0, maxDelayMs - minDelayMs));
  }

  private schedule(delivery: WebhookDelivery, delayMs: number, attempt: number): void {
    this.pending += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(delivery, attempt).finally(() => {
        this.pending -= 1;
        this.settle();
      });
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(delivery: WebhookDelivery, attempt: number): Promise<void> {
    if (this.closed) return;
    let ok = false;
    try {
      const result = await this.deliverNow(delivery);
      ok = result.status >= 200 && result.status < 300;
    } catch {
      ok = false;
    }
    if (ok) {
      this.stats.delivered += 1;
      return;
    }
    this.stats.failedAttempts += 1;
    if (attempt >= this.behaviour.maxAttempts) {
      this.stats.abandoned += 1;
      return;
    }
    this.schedule(
      delivery.redelivery ?? delivery,
      this.behaviour.retryBaseMs * 2 ** (attempt - 1),
      attempt + 1,
    );
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
