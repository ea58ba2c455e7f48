import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/helpers/live-herald.js';
import { TEST_POSTGRES_URL } from '../../../test/helpers/test-database.js';
import type { HeraldEvent } from '../../domain/herald-event.js';
import { createLogger } from '../../runtime/create-logger.js';
import { createNotifyEventBus } from './notify-event-bus.js';

const status = (i: number, appId = 'app1'): HeraldEvent => ({
  id: `ev-${i}`,
  appId,
  occurredAt: i,
  type: 'message.status',
  data: { messageId: `m-${i}`, status: 'sent', channelId: 'wa' },
});

describe('the PostgreSQL notify event bus', () => {
  const buses: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });
  const open = async (channel: string, announceMs?: number) => {
    const bus = await createNotifyEventBus({
      url: TEST_POSTGRES_URL,
      channel,
      logger: createLogger({ level: 'silent' }),
      ...(announceMs ? { announceMs } : {}),
    });
    buses.push(bus);
    return bus;
  };
  /** Until `bus` has heard that `apps` apps are watched in other processes. */
  const heard = (bus: { stats: { watchedElsewhere: number } }, apps = 1) =>
    eventually(() => (bus.stats.watchedElsewhere >= apps ? true : undefined), 'the announcement');

  it('carries every event to the other process in order, packed, and each once in its own', async () => {
    const channel = `t_${randomUUID().slice(0, 8)}`;
    const [a, b] = [await open(channel), await open(channel)];
    const onA: string[] = [];
    const onB: string[] = [];
    a.subscribe('app1', (e) => onA.push(e.id));
    b.subscribe('app1', (e) => onB.push(e.id));
    b.subscribe('app2', () => onB.push('wrong app'));
    await heard(a, 2);
    const sent = Array.from({ length: 3_000 }, (_, i) => status(i));
    for (let i = 0; i < sent.length; i += 100) a.publish(sent.slice(i, i + 100));
    await eventually(() => (onB.length >= sent.length ? true : undefined), 'every event on the other bus');
    expect(onB).toEqual(sent.map((e) => e.id));
    expect(onA).toEqual(sent.map((e) => e.id));
    await new Promise((r) => setTimeout(r, 100));
    expect(onA).toHaveLength(sent.length);
  });

  it('sends an inbound message too large for a notification without its content', async () => {
    const channel = `t_${randomUUID().slice(0, 8)}`;
    const [a, b] = [await open(channel), await open(channel)];
    const got: HeraldEvent[] = [];
    b.subscribe('app1', (e) => got.push(e));
    await heard(a);
    const inbound: HeraldEvent = {
      id: 'in-1',
      appId: 'app1',
      occurredAt: 1,
      type: 'message.inbound',
      data: {
        inboundId: 'i1',
        channelId: 'wa',
        channelType: 'WHATSAPP',
        from: '+16505551234',
        content: { kind: 'text', text: 'x'.repeat(9_000) },
        providerMessageId: 'wamid.in-1',
      },
    };
    a.publish([inbound, status(1)]);
    await eventually(() => (got.length >= 2 ? true : undefined), 'both events');
    expect(got[0]).toMatchObject({
      id: 'in-1',
      data: { content: { kind: 'unsupported', providerType: 'text (too large for the live stream)' } },
    });
    expect(got[1]?.id).toBe('ev-1');
  });

  it('drops what the live stream cannot keep up with instead of queueing without bound', async () => {
    const channel = `t_${randomUUID().slice(0, 8)}`;
    const [bus, watcher] = [await open(channel), await open(channel)];
    watcher.subscribe('app1', () => {});
    await heard(bus);
    const events = Array.from({ length: 40 }, (_, i) => status(i));
    // One event per notification when each is near the size limit: 1,000 calls of 40 = 40,000 notifications.
    const big = events.map((e) => ({
      ...e,
      data: { ...e.data, error: { code: '1', message: 'x'.repeat(7_000) } },
    }));
    for (let i = 0; i < 1_000; i++) bus.publish(big as HeraldEvent[]);
    expect(bus.stats.pendingBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(bus.stats.dropped).toBeGreaterThan(0);
  });

  it('measures notifications in bytes: events in a multi-byte script still reach the other process', async () => {
    const channel = `t_${randomUUID().slice(0, 8)}`;
    const [a, b] = [await open(channel), await open(channel)];
    const got: string[] = [];
    b.subscribe('app1', (e) => got.push(e.id));
    await heard(a);
    // 1,000 characters of three bytes each: packed by characters, three of these share a notification of 9,000
    // bytes, over PostgreSQL's limit, and the whole flush fails.
    const events = Array.from({ length: 5 }, (_, i) => ({
      ...status(i),
      data: { ...status(i).data, error: { code: '1', message: '\u3042'.repeat(1_000) } },
    }));
    a.publish([...events, status(99)] as HeraldEvent[]);
    await eventually(() => (got.length >= 6 ? true : undefined), 'every event on the other bus');
    expect(got).toEqual(['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-99']);
  });

  it('sends only the events of apps watched in another process, and forgets an app nobody watches any more', async () => {
    const channel = `t_${randomUUID().slice(0, 8)}`;
    const a = await open(channel, 100);
    const here: string[] = [];
    a.subscribe('app1', (e) => here.push(e.id));
    a.publish([status(1), status(2, 'app2')]);
    // Nobody elsewhere: this process's listeners only, nothing serialised or sent.
    expect(here).toEqual(['ev-1']);
    expect(a.stats.notified).toBe(0);

    const b = await open(channel, 100);
    const there: string[] = [];
    const stop = b.subscribe('app2', (e) => there.push(e.id));
    await heard(a);
    a.publish([status(3), status(4, 'app2')]);
    await eventually(() => (there.length > 0 ? true : undefined), 'the watched app on the other bus');
    expect(there).toEqual(['ev-4']);
    expect(a.stats.notified).toBe(1);

    stop();
    await eventually(() => (a.stats.watchedElsewhere === 0 ? true : undefined), 'app2 forgotten');
    a.publish([status(5, 'app2')]);
    expect(a.stats.notified).toBe(1);
  });

  it('learns what is watched when it starts after the listeners', async () => {
    const channel = `t_${randomUUID().slice(0, 8)}`;
    const watcher = await open(channel);
    const got: string[] = [];
    watcher.subscribe('app1', (e) => got.push(e.id));
    // Started after the announcement, long before the next one (10 s): it asks.
    const late = await open(channel);
    await heard(late);
    late.publish([status(7)]);
    await eventually(() => (got.length > 0 ? true : undefined), 'the event');
    expect(got).toEqual(['ev-7']);
  });

  it('listens again when its connection is cut, and hears the other processes again', async () => {
    const channel = `t_${randomUUID().slice(0, 8)}`;
    const [a, b] = [await open(channel), await open(channel, 200)];
    const onB: string[] = [];
    b.subscribe('app1', (e) => onB.push(e.id));
    await heard(a);
    // A database restart or an idle timeout, as the server sees it: every LISTEN connection on the channel cut.
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
      const cut = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where query = $1 and pid <> pg_backend_pid()',
        [`LISTEN ${channel}`],
      );
      expect(cut.rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    await eventually(
      () => {
        a.publish([status(onB.length + 1_000)]);
        return onB.length > 0 ? true : undefined;
      },
      'an event through the restored connection',
      15_000,
    );
  });
});
