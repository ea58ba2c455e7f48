import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryMetrics } from '../ports/delivery-metrics.js';

export interface GaugeSources {
  queueDepth(): Promise<{ senderKey: string; ready: number; held: number; oldestAgeMs: number }[]>;
  inboxBacklog(): Promise<{ count: number; oldestAgeMs: number }>;
}

/**
 * Herald's metrics in a prom-client registry of its own (so several Heralds in one test process do not
 * collide). `/metrics` serialises `registry`.
 */
export function createPrometheusMetrics(sources: GaugeSources): {
  metrics: DeliveryMetrics;
  registry: Registry;
} {
  const registry = new Registry();
  const sends = new Counter({
    name: 'herald_sends_total',
    help: 'Provider send attempts by outcome',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'herald_send_failures_total',
    help: 'Failed send attempts by provider error code',
    labelNames: ['provider', 'code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'herald_send_duration_seconds',
    help: 'Provider call duration',
    labelNames: ['provider'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const statuses = new Counter({
    name: 'herald_message_status_changes_total',
    help: 'Ledger status changes',
    labelNames: ['status'],
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'herald_webhook_events_total',
    help: 'Webhook events stored (duplicates excluded)',
    labelNames: ['provider'],
    registers: [registry],
  });
  const inboxLag = new Histogram({
    name: 'herald_webhook_lag_seconds',
    help: 'Time from a webhook event being received to being processed',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const processed = new Counter({
    name: 'herald_webhook_events_processed_total',
    help: 'Webhook events processed',
    registers: [registry],
  });
  const abandoned = new Counter({
    name: 'herald_webhook_events_abandoned_total',
    help: 'Webhook events given up on after failing every attempt',
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'herald_event_deliveries_total',
    help: 'Subscription deliveries by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });

  const senderPauses = new Counter({
    name: 'herald_sender_pauses_total',
    help: 'Pauses of a sender whose provider kept failing (five retryable failures in a row, or a failed probe)',
    labelNames: ['sender'],
    registers: [registry],
  });
  const subscriptionPauses = new Counter({
    name: 'herald_subscription_pauses_total',
    help: 'Pauses of a subscription whose receiver failed',
    registers: [registry],
  });

  new Gauge({
    name: 'herald_queue_depth',
    help: 'Jobs waiting per sender (ready, or held for the WhatsApp window)',
    labelNames: ['sender', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await sources.queueDepth()) {
        this.set({ sender: d.senderKey, state: 'ready' }, d.ready);
        this.set({ sender: d.senderKey, state: 'held' }, d.held);
      }
    },
  });
  new Gauge({
    name: 'herald_queue_oldest_job_age_seconds',
    help: 'Age of the oldest ready job per sender',
    labelNames: ['sender'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await sources.queueDepth()) this.set({ sender: d.senderKey }, d.oldestAgeMs / 1000);
    },
  });
  new Gauge({
    name: 'herald_held_messages',
    help: 'Messages awaiting the WhatsApp 24-hour window',
    registers: [registry],
    async collect() {
      this.set((await sources.queueDepth()).reduce((sum, d) => sum + d.held, 0));
    },
  });
  new Gauge({
    name: 'herald_webhook_backlog',
    help: 'Webhook events stored but not processed yet',
    registers: [registry],
    async collect() {
      this.set((await sources.inboxBacklog()).count);
    },
  });
  new Gauge({
    name: 'herald_webhook_backlog_oldest_age_seconds',
    help: 'Age of the oldest unprocessed webhook event',
    registers: [registry],
    async collect() {
      this.set((await sources.inboxBacklog()).oldestAgeMs / 1000);
    },
  });

  const metrics: DeliveryMetrics = {
    sendOutcome(provider, outcome, code) {
      sends.inc({ provider, outcome });
      if (code && outcome !== 'sent' && outcome !== 'paced') failures.inc({ provider, code });
    },
    sendLatency(provider, seconds) {
      latency.observe({ provider }, seconds);
    },
    statusChanged(status, count) {
      statuses.inc({ status }, count);
    },
    webhookEvents(provider, stored) {
      webhooks.inc({ provider }, stored);
    },
    inboxAbandoned(count) {
      abandoned.inc(count);
    },
    inboxProcessed(count, lags) {
      processed.inc(count);
      for (const lag of lags) inboxLag.observe(lag);
    },
    eventDelivery(outcome) {
      deliveries.inc({ outcome });
    },
    senderPaused(senderKey) {
      senderPauses.inc({ sender: senderKey });
    },
    subscriptionPaused() {
      subscriptionPauses.inc();
    },
  };
  return { metrics, registry };
}
