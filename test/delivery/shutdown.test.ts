import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import type { Sandbox } from '../../src/sandbox/create-sandbox.js';
import { eventually, testNumber } from '../helpers/live-herald.js';
import {
  type StandaloneSandbox,
  startStandaloneSandbox,
  whatsAppChannelOn,
} from '../helpers/standalone-sandbox.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

/** Stopping a Herald finishes the sends in flight (or gives them back); another Herald picks up the rest. */
describeEachDatabase('graceful shutdown', (db) => {
  let standalone: StandaloneSandbox;
  let sandbox: Sandbox;
  const heralds: Herald[] = [];

  beforeEach(async () => {
    standalone = await startStandaloneSandbox();
    sandbox = standalone.sandbox;
  });
  afterEach(async () => {
    await Promise.all(heralds.splice(0).map((h) => h.stop()));
    await standalone.close();
  });

  it('finishes what is in flight, leaves nothing claimed, and loses nothing', async () => {
    const first = await createTestHerald(db());
    heralds.push(first);
    const app = await createTestApp(first);
    await whatsAppChannelOn(standalone, first, app, { messagesPerSecond: 40 });
    // Every send takes a while, so some are in flight when the stop comes.
    sandbox.context.faults.configure('whatsapp', { latencyMs: 150 });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push(
        (
          await first.send({
            appId: app.appId,
            channelType: 'WHATSAPP',
            to: testNumber(i),
            content: { kind: 'template', name: 'hello_world', language: 'en_US' },
          })
        ).messageId,
      );
    }
    first.startWorkers();
    await eventually(() => (sandbox.context.counters.totals().total >= 10 ? true : undefined), 'some sends');
    await first.stop();

    const accepted = sandbox.context.counters.totals().total;
    const claimed = await db()
      .db.selectFrom('jobs')
      .select('id')
      .where('locked_until', 'is not', null)
      .where('state', '=', 'ready')
      .execute();
    expect(claimed).toEqual([]);
    const statuses = await db()
      .db.selectFrom('messages')
      .select(['id', 'status'])
      .where('id', 'in', ids)
      .execute();
    const sentByFirst = statuses.filter((m) => m.status !== 'queued').length;
    // Everything the provider accepted is recorded as sent; everything else is back in the queue.
    expect(sentByFirst).toBe(accepted);
    expect(accepted).toBeLessThan(60);

    const second = await createTestHerald(db());
    heralds.push(second);
    sandbox.context.faults.reset();
    second.startWorkers();
    await eventually(
      async () => {
        const rows = await db()
          .db.selectFrom('messages')
          .select('status')
          .where('id', 'in', ids)
          .where('status', '=', 'queued')
          .execute();
        return rows.length === 0 ? true : undefined;
      },
      'the second Herald to send the rest',
      20_000,
    );
    expect(sandbox.context.counters.totals()).toMatchObject({ total: 60, duplicates: 0, uniqueTags: 60 });
  }, 60_000);
});
