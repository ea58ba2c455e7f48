import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { eventually, testNumber } from '../helpers/live-herald.js';
import {
  type StandaloneSandbox,
  startStandaloneSandbox,
  whatsAppChannelOn,
} from '../helpers/standalone-sandbox.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';
import { WorkerProcess } from '../helpers/worker-process.js';

const RATE = 50;
const MESSAGES = 500;

/** Two worker processes on one PostgreSQL database share one sender: together they never exceed its rate. */
describe('a sender shared by two worker processes on PostgreSQL', () => {
  let db: TestDatabase;
  let herald: Herald;
  let standalone: StandaloneSandbox;
  const workers: WorkerProcess[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    standalone = await startStandaloneSandbox();
    herald = await createTestHerald(db);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
    await herald.stop();
    await standalone.close();
    await db.destroy();
  });

  it(`holds ${RATE} messages per second within 5%`, async () => {
    const app = await createTestApp(herald);
    const account = await whatsAppChannelOn(standalone, herald, app, {
      messagesPerSecond: RATE,
      settings: { messagesPerSecond: 10_000 },
    });
    for (let i = 0; i < MESSAGES; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          herald.send({
            appId: app.appId,
            channelType: 'WHATSAPP',
            to: testNumber(i + j),
            content: { kind: 'template', name: 'hello_world', language: 'en_US' },
          }),
        ),
      );
    }
    workers.push(new WorkerProcess(herald.config), new WorkerProcess(herald.config));

    const sent = await eventually(
      async () => {
        const { items } = (
          await standalone.server.inject({
            method: 'GET',
            url: `/whatsapp/_control/messages?phoneNumberId=${account.phoneNumberId}`,
          })
        ).json() as {
          items: { at: number }[];
        };
        return items.length >= MESSAGES ? items : undefined;
      },
      'every message to reach the sandbox',
      60_000,
    );
    const times = sent.map((m) => m.at).sort((a, b) => a - b);
    const measured = ((times.length - 1) / (times.at(-1)! - times[0]!)) * 1000;
    expect(Math.abs(measured - RATE) / RATE).toBeLessThanOrEqual(0.05);
    // Never more than two seconds' worth in any two seconds (plus the bucket's tenth of a second of burst). The
    // sandbox stamps a request when its event loop gets to it, so a stall of this process bunches the stamps of
    // requests sent on time; two-second windows keep that jitter from reading as a burst.
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 2_000).length;
      expect(inWindow).toBeLessThanOrEqual(Math.ceil(2 * RATE * 1.05 + RATE / 10));
    }
    expect(standalone.sandbox.context.counters.totals().duplicates).toBe(0);
  }, 90_000);
});
