/**
 * What the delivery engine counts. Gauges that are cheaper to compute on demand (queue depth, inbox backlog) are
 * read at scrape time from the stores, not pushed here.
 *
 * @example
 * metrics.sendOutcome('whatsapp-cloud', 'sent');
 * metrics.sendOutcome('whatsapp-cloud', 'permanent', '132001');
 */
export interface DeliveryMetrics {
  sendOutcome(
    provider: string,
    outcome: 'sent' | 'throttled' | 'retryable' | 'window_closed' | 'permanent' | 'paced',
    code?: string,
  ): void;
  sendLatency(provider: string, seconds: number): void;
  statusChanged(status: string, count: number): void;
  webhookEvents(provider: string, stored: number): void;
  inboxProcessed(count: number, lagSeconds: readonly number[]): void;
  /** Webhook events given up on after failing their every attempt (logged with their inbox ids). */
  inboxAbandoned(count: number): void;
  eventDelivery(outcome: 'delivered' | 'retried' | 'dropped'): void;
  /** A sender paused because its provider kept failing (an outage: alert on it). */
  senderPaused(senderKey: string): void;
  /** A subscription paused because its receiver failed. */
  subscriptionPaused(): void;
}

export const NO_METRICS: DeliveryMetrics = {
  sendOutcome: () => {},
  sendLatency: () => {},
  statusChanged: () => {},
  webhookEvents: () => {},
  inboxProcessed: () => {},
  inboxAbandoned: () => {},
  eventDelivery: () => {},
  senderPaused: () => {},
  subscriptionPaused: () => {},
};
