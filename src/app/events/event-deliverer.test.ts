import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../../test/helpers/test-database.js';
import { quietLogger } from '../../../test/helpers/test-herald.js';
import type { HeraldEvent } from '../../domain/herald-event.js';
import { NO_METRICS } from '../../ports/delivery-metrics.js';
import { createAesGcmSecretBox } from '../../runtime/aes-gcm-secret-box.js';
import { createUlidGenerator } from '../../runtime/ulid-generator.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { KyselyAppStore } from '../../storage/app-store.js';
import { KyselyEventOutbox } from '../../storage/event-outbox.js';
import { KyselySubscriptionStore } from '../../storage/subscription-store.js';
import { EventDeliverer } from './event-deliverer.js';

describeEachDatabase('EventDeliverer', (db) => {
  const ids = createUlidGenerator();
  const secrets = createAesGcmSecretBox('test-secret-key-0123456789abcdef');
  let receivers: FastifyInstance[];
  let http: ReturnType<typeof createHttpPools>;
  let outbox: KyselyEventOutbox;
  let subscriptions: KyselySubscriptionStore;

  beforeEach(async () => {
    receivers = [];
    pauses = 0;
    http = createHttpPools({ connections: 16 });
    outbox = new KyselyEventOutbox(db().db, db().dialect);
    subscriptions = new KyselySubscriptionStore(db().db);
    await new KyselyAppStore(db().db).createApp(
      { id: 'app1', name: 'a', createdAt: 1 },
      { id: 'k1', appId: 'app1', name: 'k', hint: 'xxxx', createdAt: 1, secretHash: '00' },
    );
  });
  afterEach(async () => {
    await http.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  /** A receiver: `answer` decides each request's fate; what it received is listed. */
  async function receiver(initially: 'ok' | 'hang' | 'fail') {
    const received: string[] = [];
    const state = { answer: initially };
    const app = Fastify({ forceCloseConnections: true });
    app.post('/hook', async (request, reply) => {
      received.push(String(request.headers['herald-event-id']));
      if (state.answer === 'hang') return new Promise(() => {});
      return reply.code(state.answer === 'ok' ? 204 : 503).send();
    });
    const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/hook`;
    receivers.push(app);
    const id = ids.next();
    await subscriptions.create(
      { id, appId: 'app1', url, events: ['message.status'], createdAt: 1 },
      secrets.seal('whsec_test'),
    );
    return { id, received, state };
  }

  const event = (n: number): HeraldEvent => ({
    id: `ev-${String(n).padStart(4, '0')}`,
    type: 'message.status',
    appId: 'app1',
    occurredAt: Date.now(),
    data: { messageId: `m${n}`, status: 'sent', channelId: 'wa' },
  });

  let pauses = 0;
  const deliverer = () =>
    new EventDeliverer({
      outbox,
      subscriptions,
      secrets,
      http,
      clock: { now: () => Date.now() },
      logger: quietLogger,
      metrics: { ...NO_METRICS, subscriptionPaused: () => pauses++ },
      random: () => 0.5,
      workerId: 'w1',
      options: { timeoutMs: 3_000 },
    });

  /** Runs the deliverer as its polling loop does, until `until` holds or `ms` pass. */
  async function run(d: EventDeliverer, until: () => boolean, ms: number): Promise<number> {
    const started = Date.now();
    while (!until() && Date.now() - started < ms) {
      if ((await d.deliverBatch()) === 0) await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - started;
  }

  it('does not let a receiver that hangs hold up the other subscriptions', async () => {
    const stuck = await receiver('hang');
    const healthy = await receiver('ok');
    // Interleaved and due at once: the oldest deliveries are half the stuck receiver's.
    const deliveries = Array.from({ length: 200 }, (_, n) => ({
      id: ids.next(),
      subscriptionId: n % 2 === 0 ? stuck.id : healthy.id,
      event: event(n),
    }));
    await outbox.enqueue(deliveries, Date.now());
    const d = deliverer();
    // Every request to the stuck receiver waits 3 s; the healthy one's 100 events must not wait behind them.
    const took = await run(d, () => healthy.received.length >= 100, 2_500);
    expect(healthy.received).toHaveLength(100);
    expect(took).toBeLessThan(2_500);
    // At most 8 requests to one receiver at once.
    expect(stuck.received.length).toBeLessThanOrEqual(8);
    await d.drain();
    // What the healthy receiver acknowledged is gone; the stuck receiver's deliveries wait for a retry.
    const left = await db().db.selectFrom('jobs').select('partition_key').execute();
    expect(left.every((row) => row.partition_key === stuck.id)).toBe(true);
    expect(left).toHaveLength(100);
  });

  it('pauses a failing receiver and tries it with one delivery at a time until it answers', async () => {
    const failing = await receiver('fail');
    await outbox.enqueue(
      Array.from({ length: 30 }, (_, n) => ({ id: ids.next(), subscriptionId: failing.id, event: event(n) })),
      Date.now(),
    );
    const d = deliverer();
    await run(d, () => false, 2_500);
    await d.drain();
    // The first claim sends 8, which fail together: a pause of 1 s; then one delivery probes it and fails: 2 s. So
    // 8 + 1 in 2.5 s, not 30 tries every second.
    expect(failing.received).toHaveLength(9);
    expect(pauses).toBe(2);
    const attempts = await db().db.selectFrom('jobs').select(['attempts', 'run_at']).execute();
    expect(attempts).toHaveLength(30);
    expect(attempts.filter((row) => row.attempts === 0).length).toBeGreaterThanOrEqual(20);
    // The ones never tried are held back with the subscription, not claimed meanwhile.
    expect(attempts.every((row) => row.run_at > Date.now() - 1_000)).toBe(true);

    // The receiver is back: the next probe succeeds and the rest follow, 8 at a time.
    failing.state.answer = 'ok';
    const jobsLeft = async () => (await db().db.selectFrom('jobs').select('id').execute()).length;
    let left = 30;
    const started = Date.now();
    while (left > 0 && Date.now() - started < 10_000) {
      await run(d, () => false, 200);
      left = await jobsLeft();
    }
    await d.drain();
    expect(await jobsLeft()).toBe(0);
    expect(new Set(failing.received).size).toBe(30);
  });

  it('drops a delivery older than three days when it is claimed', async () => {
    const healthy = await receiver('ok');
    const old = { ...event(1), occurredAt: Date.now() - 3 * 86_400_000 - 1 };
    await outbox.enqueue([{ id: ids.next(), subscriptionId: healthy.id, event: old }], Date.now());
    const d = deliverer();
    await run(d, () => false, 300);
    await d.drain();
    expect(healthy.received).toEqual([]);
    expect(await db().db.selectFrom('jobs').select('id').execute()).toEqual([]);
  });
});
