import net from 'node:net';
import { sql } from 'kysely';
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
import { WorkerProcess } from '../helpers/worker-process.js';

const MESSAGES = 10_000;
let started = Date.now();
const timing = (what: string) => {
  if (process.env.HERALD_TEST_TIMING) process.stderr.write(`${what}: ${Date.now() - started} ms\n`);
  started = Date.now();
};
const WORKER_ENV = {
  HERALD_MAX_IN_FLIGHT: '64',
  HERALD_BATCH_SIZE: '100',
  HERALD_JOB_LEASE_MS: '3000',
  HERALD_SENDER_LEASE_MS: '1500',
};

/**
 * A worker killed with SIGKILL in the middle of 10,000 messages, then another started: every message reaches a
 * final status, none is lost, and the sandbox counts no more duplicates than there were sends in flight (none on
 * LINE, whose retry key makes a resend a no-op).
 */
describeEachDatabase(
  'a worker killed in the middle of a send',
  (db) => {
    let herald: Herald;
    let standalone: StandaloneSandbox;
    let port = 0;
    let sandbox: Sandbox;
    const workers: WorkerProcess[] = [];

    beforeEach(async () => {
      standalone = await startStandaloneSandbox();
      sandbox = standalone.sandbox;
      sandbox.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 2, retryBaseMs: 100, maxAttempts: 20 });
      // This process only sets up and enqueues; `herald serve` processes (API, webhooks, workers) on a port of
      // their own do the rest, one after the other, as a single-process deployment restarts.
      herald = await createTestHerald(db());
      port = await freePort();
    });

    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.kill()));
      await herald.stop();
      await standalone.close();
    });

    async function enqueue(
      appId: string,
      channelType: 'WHATSAPP' | 'LINE',
      recipients: readonly string[],
      content: Parameters<Herald['send']>[0]['content'],
    ) {
      for (let i = 0; i < MESSAGES; i += 200) {
        await Promise.all(
          Array.from({ length: Math.min(200, MESSAGES - i) }, (_, j) =>
            herald.send({ appId, channelType, to: recipients[(i + j) % recipients.length]!, content }),
          ),
        );
      }
    }

    async function crashAndRecover(appId: string, accepted: () => number, done: () => Promise<number>) {
      timing('enqueued');
      const first = new WorkerProcess(herald.config, { ...WORKER_ENV, HERALD_PORT: String(port) }, 'serve');
      workers.push(first);
      await eventually(
        () => accepted() >= MESSAGES * 0.3 || undefined,
        'the first worker to send 30%',
        60_000,
      ).catch((error) => {
        throw new Error(`${error}\nworker log:\n${first.log}`);
      });
      timing('30% accepted');
      await first.kill();
      // Sends the dead worker had claimed and not recorded: the only ones that can be sent twice.
      const inFlight = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM jobs WHERE queue = 'send' AND locked_until IS NOT NULL AND state = 'ready'`.execute(
        db().db,
      );
      const second = new WorkerProcess(herald.config, { ...WORKER_ENV, HERALD_PORT: String(port) }, 'serve');
      workers.push(second);
      await eventually(
        async () => ((await done()) === MESSAGES ? true : undefined),
        'every message to be final',
        120_000,
      ).catch(async (error) => {
        throw new Error(`${error} (${await done()} of ${MESSAGES})\nworker log:\n${second.log}`);
      });
      timing('all final');
      const left = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM jobs WHERE queue = 'send' AND message_id IN (SELECT id FROM messages WHERE app_id = ${appId})`.execute(
        db().db,
      );
      return { inFlight: Number(inFlight.rows[0]?.n ?? 0), jobsLeft: Number(left.rows[0]?.n ?? 0) };
    }

    it('WhatsApp: every message read, duplicates bounded by the sends in flight', async () => {
      started = Date.now();
      const app = await createTestApp(herald);
      await whatsAppChannelOn(standalone, herald, app, {
        messagesPerSecond: 2_000,
        // A send that times out is retried, and the sandbox may have taken it: a duplicate the kill did not cause.
        // On a loaded machine the sandbox (in this process) can answer seconds late, so the timeout is generous.
        timeoutMs: 15_000,
        settings: { messagesPerSecond: 100_000, statusGapMs: 1 },
        webhookUrl: `http://127.0.0.1:${port}/webhooks/${app.appId}/wa`,
      });
      const recipients = Array.from({ length: 2_000 }, (_, i) => testNumber(i));
      await enqueue(app.appId, 'WHATSAPP', recipients, {
        kind: 'template',
        name: 'hello_world',
        language: 'en_US',
      });

      const { inFlight, jobsLeft } = await crashAndRecover(
        app.appId,
        () => sandbox.context.counters.totals().total,
        () => countStatus(app.appId, ['read']),
      );
      const counters = sandbox.context.counters.totals();
      expect(counters.uniqueTags).toBe(MESSAGES);
      expect(counters.duplicates).toBeLessThanOrEqual(inFlight);
      expect(counters.total).toBe(MESSAGES + counters.duplicates);
      expect(jobsLeft).toBe(0);
    }, 240_000);

    it('LINE: every message accepted once, no duplicates thanks to the retry key', async () => {
      const app = await createTestApp(herald);
      const users = Array.from({ length: 1_000 }, (_, i) => ({ displayName: `user ${i}` }));
      const lineChannel = await sandboxCall('POST', '/line/_control/channels', { users });
      await sandboxCall('PUT', `/line/_control/channels/${lineChannel.channelId}/rate-limits`, {
        push: { requests: 1_000_000, perSeconds: 1 },
      }).catch(() => undefined);
      const channel = await herald.server.inject({
        method: 'PUT',
        url: `/v1/apps/${app.appId}/channels/line`,
        headers: app.headers,
        payload: {
          provider: 'line',
          sender: { channelId: lineChannel.channelId },
          credentials: {
            channelAccessToken: lineChannel.channelAccessToken,
            channelSecret: lineChannel.channelSecret,
          },
          options: { baseUrl: `${standalone.url}/line`, timeoutMs: 5_000 },
          limits: { messagesPerSecond: 2_000 },
        },
      });
      expect(channel.statusCode).toBe(200);
      const recipients = lineChannel.users.map((u: { userId: string }) => u.userId);
      await enqueue(app.appId, 'LINE', recipients, { kind: 'text', text: 'Hello from Herald' });

      const { jobsLeft } = await crashAndRecover(
        app.appId,
        () => sandbox.context.counters.totals().total,
        () => countStatus(app.appId, ['sent']),
      );
      const counters = sandbox.context.counters.totals();
      expect(counters.duplicates).toBe(0);
      expect(counters.total).toBe(MESSAGES);
      expect(jobsLeft).toBe(0);
    }, 240_000);

    async function countStatus(appId: string, statuses: string[]): Promise<number> {
      const rows = await db()
        .db.selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', '=', appId)
        .where('status', 'in', statuses)
        .executeTakeFirst();
      return Number(rows?.n ?? 0);
    }

    // biome-ignore lint/suspicious/noExplicitAny: control API answers are read by path
    async function sandboxCall(method: 'POST' | 'PUT', path: string, body: unknown): Promise<any> {
      const response = await standalone.server.inject({ method, url: path, payload: body as object });
      if (response.statusCode >= 300)
        throw new Error(`${method} ${path}: ${response.statusCode} ${response.body}`);
      return response.json();
    }
  },
  { scope: 'test' },
);

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}
