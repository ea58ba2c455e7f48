import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  eventually,
  type LiveHerald,
  liveApp,
  liveWhatsAppChannel,
  startLiveHerald,
  testNumber,
} from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

describeEachDatabase('failure classes through the sandbox: nothing is lost', (db) => {
  let live: LiveHerald;
  let app: { appId: string; headers: Record<string, string> };
  let wa: Awaited<ReturnType<typeof liveWhatsAppChannel>>;

  beforeEach(async () => {
    live = await startLiveHerald(db(), { HERALD_RETRY_BASE_MS: '40' });
    app = await liveApp(live);
    wa = await liveWhatsAppChannel(live, app, { channelOptions: { timeoutMs: 300 }, messagesPerSecond: 500 });
  });
  afterEach(() => live.stop());

  const send = (to: string, template = 'hello_world') =>
    live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to, template: { name: template, language: 'en_US' } },
    });
  const message = (id: string) =>
    live.call('GET', `/v1/apps/${app.appId}/messages/${id}`, { headers: app.headers }).then((r) => r.body);

  it('retries server errors and timeouts, waits out throttling, and delivers every message', async () => {
    const faults = await live.call('PUT', '/sandbox/_sandbox/faults/whatsapp', {
      body: { errorRate: 0.2, throttleRate: 0.15, timeoutRate: 0.1, timeoutMs: 1_500 },
    });
    expect(faults.status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const sent = await send(testNumber(i));
      expect(sent.status).toBe(202);
      ids.push(sent.body.messageId);
    }
    await eventually(
      async () => {
        const statuses = await Promise.all(ids.map(async (id) => (await message(id)).status));
        return statuses.every((s) => s === 'read') ? statuses : undefined;
      },
      'every message to be read',
      60_000,
    );
    const counters = (await live.call('GET', '/sandbox/_sandbox/counters')).body;
    expect(counters.uniqueTags).toBe(40);
    const metrics = (await live.call('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/herald_sends_total\{provider="whatsapp-cloud",outcome="retryable"\} [1-9]/);
    expect(metrics).toMatch(/herald_sends_total\{provider="whatsapp-cloud",outcome="throttled"\} [1-9]/);
    expect(metrics).toMatch(/herald_send_failures_total\{provider="whatsapp-cloud",code="131000"\} [1-9]/);
    // A retried message keeps its history: one queued, then forward only.
    const withRetries = await Promise.all(ids.map(message));
    for (const m of withRetries) expect(m.history[0].status).toBe('queued');
    expect(withRetries.some((m) => m.attempts > 1)).toBe(true);
  }, 90_000);

  it('fails permanently, with the provider code, what retrying cannot fix', async () => {
    const unknown = await send(testNumber(1), 'no_such_template');
    const failed = await eventually(async () => {
      const m = await message(unknown.body.messageId);
      return m.status === 'failed' ? m : undefined;
    }, 'the unknown template to fail');
    expect(failed.error, JSON.stringify(failed)).toMatchObject({ code: '132001' });
    expect(failed.attempts).toBe(1);

    // An undeliverable recipient: accepted, then a signed `failed` status with 131026.
    const injected = await live.call(
      'POST',
      `/sandbox/whatsapp/_control/accounts/${wa.phoneNumberId}/failures`,
      {
        body: { code: 131026, count: 1, recipient: testNumber(2) },
      },
    );
    expect(injected.status).toBe(200);
    const undeliverable = await send(testNumber(2));
    const late = await eventually(async () => {
      const m = await message(undeliverable.body.messageId);
      return m.status === 'failed' ? m : undefined;
    }, 'the undeliverable message to fail');
    expect(late.error.code).toBe('131026');
    expect(late.history.map((h: { status: string }) => h.status)).toContain('failed');
  });

  it('gives up a message after the configured number of attempts', async () => {
    await live.call('PUT', '/sandbox/_sandbox/faults/whatsapp', { body: { errorRate: 1 } });
    const doomed = await send(testNumber(3));
    const failed = await eventually(
      async () => {
        const m = await message(doomed.body.messageId);
        return m.status === 'failed' ? m : undefined;
      },
      'the message to fail after its attempts',
      30_000,
    );
    expect(failed.attempts).toBe(8);
    expect(failed.error.code).toBe('131000');
    expect(failed.error.message).toMatch(/gave up after 8 attempts/);
  });

  it('pauses a sender whose provider is down instead of spending every message its attempts, and sends all when it is back', async () => {
    await live.call('PUT', '/sandbox/_sandbox/faults/whatsapp', { body: { errorRate: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await send(testNumber(100 + i))).body.messageId);
    // With retries 40 ms apart, 3 s are enough for every message to spend its eight attempts and fail.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const during = await Promise.all(ids.map(message));
    expect(during.filter((m) => m.status === 'failed')).toEqual([]);
    // The first claim went out before anything had failed; after that, one message at a time probes the provider.
    const attempts = during.reduce((sum, m) => sum + m.attempts, 0);
    expect(attempts).toBeLessThanOrEqual(30 + 5);
    const metrics = (await live.call('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/herald_sends_total\{provider="whatsapp-cloud",outcome="retryable"\} [1-9]/);
    // What an operator alerts on.
    expect(metrics).toMatch(/herald_sender_pauses_total\{sender="whatsapp-cloud:[^"]+"\} [1-9]/);

    await live.call('PUT', '/sandbox/_sandbox/faults/whatsapp', { body: { errorRate: 0 } });
    await eventually(
      async () => {
        const statuses = await Promise.all(ids.map(async (id) => (await message(id)).status));
        return statuses.every((s) => s === 'read') ? statuses : undefined;
      },
      'every message to be read once the provider is back',
      30_000,
    );
  }, 60_000);
});
