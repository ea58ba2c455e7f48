import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SandboxServer, startSandboxServer } from '../../../test/helpers/sandbox-server.js';
import type { MessageContent } from '../../domain/message-content.js';
import type { OutboundMessage } from '../../ports/channel-adapter.js';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createLineSandbox } from '../../sandbox/line/line-sandbox.js';
import { LineAdapter } from './adapter.js';
import { lineRetryKey } from './line-retry-key.js';

let server: SandboxServer;
let channel: { channelId: string; channelSecret: string; channelAccessToken: string };
let adapter: LineAdapter;
let sequence = 0;

const deps = () => ({
  http: server.http,
  clock: systemClock,
  logger: createLogger({ level: 'silent' }),
  webhookUrl: 'http://127.0.0.1:9/unused',
  customFunctions: {},
  snsCertHosts: [],
});
const build = (overrides: { token?: string; baseUrl?: string; timeoutMs?: number } = {}) =>
  new LineAdapter(
    {
      sender: { channelId: channel.channelId },
      credentials: {
        channelAccessToken: overrides.token ?? channel.channelAccessToken,
        channelSecret: channel.channelSecret,
      },
      options: {
        baseUrl: overrides.baseUrl ?? `${server.url}/line`,
        timeoutMs: overrides.timeoutMs ?? 2_000,
      },
    },
    deps(),
  );

const text = (value: string): MessageContent => ({ kind: 'text', text: value });
const message = (
  to: string,
  content: MessageContent,
  extra: Partial<OutboundMessage> = {},
): OutboundMessage => ({
  messageId: `01jd-line-test-${++sequence}`,
  to,
  content,
  attempt: 1,
  ...extra,
});
const requests = async () =>
  (await server.call('GET', `/line/_control/channels/${channel.channelId}/requests`)).body.items as {
    requestId: string;
    endpoint: string;
    retryKey?: string;
    recipients: string[];
    messages: unknown[];
  }[];
const follow = async (displayName = 'Hana') =>
  (await server.call('POST', `/line/_control/channels/${channel.channelId}/follow`, { displayName }))
    .body as {
    userId: string;
    replyToken: string;
  };
const userId = (n: number) => `U${n.toString(16).padStart(32, '0')}`;

beforeAll(async () => {
  server = await startSandboxServer({ providers: [createLineSandbox] });
});
afterAll(() => server.close());
beforeEach(async () => {
  channel = (await server.call('POST', '/line/_control/channels', {})).body;
  adapter = build();
});
afterEach(() => server.sandbox.context.faults.reset());

describe('LINE adapter: content', () => {
  it('pushes every content kind LINE carries, as LINE message objects', async () => {
    const { userId: to } = await follow();
    const contents: MessageContent[] = [
      text('Hello'),
      { kind: 'media', mediaType: 'image', url: 'https://cdn.example/a.jpg' },
      {
        kind: 'media',
        mediaType: 'image',
        url: 'https://cdn.example/b.jpg',
        previewUrl: 'https://cdn.example/b_s.jpg',
        caption: 'Our new shop',
      },
      { kind: 'media', mediaType: 'audio', url: 'https://cdn.example/a.m4a', durationMs: 61_000 },
      {
        kind: 'media',
        mediaType: 'video',
        url: 'https://cdn.example/v.mp4',
        previewUrl: 'https://cdn.example/v.jpg',
      },
      { kind: 'sticker', packageId: '446', stickerId: '1988' },
      { kind: 'location', latitude: 35.6591, longitude: 139.7037 },
    ];
    for (const content of contents) {
      const outcome = await adapter.send(message(to, content));
      expect(outcome).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^\d+$/) });
    }
    const sent = await requests();
    expect(sent.map((r) => [r.endpoint, r.recipients])).toEqual(contents.map(() => ['push', [to]]));
    expect(sent.map((r) => r.messages)).toEqual([
      [{ type: 'text', text: 'Hello' }],
      [
        {
          type: 'image',
          originalContentUrl: 'https://cdn.example/a.jpg',
          previewImageUrl: 'https://cdn.example/a.jpg',
        },
      ],
      [
        {
          type: 'image',
          originalContentUrl: 'https://cdn.example/b.jpg',
          previewImageUrl: 'https://cdn.example/b_s.jpg',
        },
        { type: 'text', text: 'Our new shop' },
      ],
      [{ type: 'audio', originalContentUrl: 'https://cdn.example/a.m4a', duration: 61_000 }],
      [
        {
          type: 'video',
          originalContentUrl: 'https://cdn.example/v.mp4',
          previewImageUrl: 'https://cdn.example/v.jpg',
        },
      ],
      [{ type: 'sticker', packageId: '446', stickerId: '1988' }],
      [
        {
          type: 'location',
          title: 'Location',
          address: '35.6591, 139.7037',
          latitude: 35.6591,
          longitude: 139.7037,
        },
      ],
    ]);
    expect(sent.every((r) => r.retryKey !== undefined)).toBe(true);
  });

  it('refuses content LINE cannot carry without calling LINE', async () => {
    const { userId: to } = await follow();
    const refused: MessageContent[] = [
      { kind: 'template', name: 'order_update', language: 'en_US' },
      { kind: 'media', mediaType: 'document', url: 'https://cdn.example/a.pdf' },
      { kind: 'media', mediaType: 'audio', url: 'https://cdn.example/a.m4a' },
      { kind: 'media', mediaType: 'video', url: 'https://cdn.example/v.mp4' },
      { kind: 'media', mediaType: 'image', mediaId: '12345' },
      { kind: 'custom', data: '{}' },
    ];
    for (const content of refused) {
      const outcome = await adapter.send(message(to, content));
      expect(outcome).toMatchObject({
        ok: false,
        failure: { class: 'permanent', code: 'unsupported_content' },
      });
    }
    expect(await requests()).toEqual([]);
  });
});

describe('LINE adapter: failures', () => {
  it('keeps LINE’s message and the property at fault on a 400, and treats it as permanent', async () => {
    const { userId: to } = await follow();
    const outcome = await adapter.send(message(to, text('x'.repeat(5001))));
    expect(outcome).toEqual({
      ok: false,
      failure: {
        class: 'permanent',
        code: 'http_400',
        message: 'The request body has 1 error(s) (messages[0].text: Length must be between 0 and 5000)',
      },
    });
    const stranger = await adapter.send(message(userId(77), text('hi')));
    expect(stranger).toMatchObject({
      ok: false,
      failure: { class: 'permanent', message: 'Failed to send messages' },
    });
  });

  it('tells the rate limit (throttled) from the monthly quota (permanent)', async () => {
    const { userId: to } = await follow();
    await server.call('PUT', `/line/_control/channels/${channel.channelId}/rate-limits`, {
      push: { requests: 1, perSeconds: 3600 },
    });
    expect((await adapter.send(message(to, text('one')))).ok).toBe(true);
    expect(await adapter.send(message(to, text('two')))).toMatchObject({
      ok: false,
      failure: { class: 'throttled', code: 'http_429', scope: 'sender' },
    });

    await server.call('PUT', `/line/_control/channels/${channel.channelId}/rate-limits`, {
      push: { requests: 100, perSeconds: 1 },
    });
    await server.call('PUT', `/line/_control/channels/${channel.channelId}/quota`, { limit: 1 });
    expect(await adapter.send(message(to, text('three')))).toEqual({
      ok: false,
      failure: { class: 'permanent', code: 'monthly_limit', message: 'You have reached your monthly limit.' },
    });
  });

  it('classifies a connection failure as retryable', async () => {
    const { userId: to } = await follow();
    const nowhere = build({ baseUrl: 'http://127.0.0.1:9' });
    expect(await nowhere.send(message(to, text('hi')))).toMatchObject({
      ok: false,
      failure: { class: 'retryable', code: 'network' },
    });
  });
});

describe('LINE adapter: retry keys', () => {
  it('never sends twice: a push that timed out is retried with the same key, answered 409, and counts once', async () => {
    const { userId: to } = await follow();
    const first = message(to, text('exactly once'));
    const impatient = build({ timeoutMs: 150 });
    server.sandbox.context.faults.configure('line', { timeoutRate: 1, timeoutMs: 600 });
    const before = server.sandbox.context.counters.totals();

    const timedOut = await impatient.send(first);
    expect(timedOut).toMatchObject({ ok: false, failure: { class: 'retryable', code: 'timeout' } });
    server.sandbox.context.faults.reset();
    // The crash-and-retry case: a new adapter instance, the same message id.
    const retried = await build().send({ ...first, attempt: 2 });
    expect(retried).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^\d+$/) });

    const sent = await requests();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.retryKey).toBe(lineRetryKey([first.messageId]));
    const after = server.sandbox.context.counters.totals();
    expect(after.total - before.total).toBe(1);
    expect(after.duplicates).toBe(before.duplicates);
    // The id reported on the 409 is the id of the message LINE sent the first time.
    const again = await build().send({ ...first, attempt: 3 });
    expect(again).toEqual(retried);
  });

  it('derives keys from message ids alone, whatever the order of a batch', () => {
    expect(lineRetryKey(['a', 'b'])).toBe(lineRetryKey(['b', 'a']));
    expect(lineRetryKey(['a'])).not.toBe(lineRetryKey(['a', 'b']));
    expect(lineRetryKey(['01jd5x'])).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('LINE adapter: replies', () => {
  it('replies while the token is fresh, falls back to push on the first attempt, and refuses to guess on a retry', async () => {
    const user = await follow();
    const replied = await adapter.send(
      message(user.userId, text('thanks for following'), { replyToken: user.replyToken }),
    );
    expect(replied.ok).toBe(true);

    const fallback = await adapter.send(
      message(user.userId, text('used token'), { replyToken: user.replyToken }),
    );
    expect(fallback.ok).toBe(true);
    const retried = await adapter.send(
      message(user.userId, text('used token, retried'), { replyToken: user.replyToken, attempt: 2 }),
    );
    expect(retried).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'reply_token_invalid' },
    });

    expect((await requests()).map((r) => r.endpoint)).toEqual(['reply', 'push']);
  });
});

describe('LINE adapter: batches', () => {
  it('sends the same content to 1,001 users as multicasts of 500, 500 and a push, one outcome per message', async () => {
    const lone = await follow('Lone');
    const recipients = [...Array.from({ length: 1000 }, (_, i) => userId(i + 1)), lone.userId];
    const batch = recipients.map((to) => message(to, text('Spring sale')));
    const outcomes = await adapter.sendBatch(batch);

    const sent = await requests();
    expect(sent.map((r) => [r.endpoint, r.recipients.length])).toEqual([
      ['multicast', 500],
      ['multicast', 500],
      ['push', 1],
    ]);
    const [first, second] = sent;
    expect(outcomes).toHaveLength(1001);
    expect(outcomes.slice(0, 500)).toEqual(
      recipients.slice(0, 500).map((to) => ({ ok: true, providerMessageId: `${first?.requestId}:${to}` })),
    );
    expect(outcomes[500]).toEqual({ ok: true, providerMessageId: `${second?.requestId}:${recipients[500]}` });
    expect(outcomes[1000]).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^\d+$/) });
    expect(first?.retryKey).toBe(lineRetryKey(batch.slice(0, 500).map((m) => m.messageId)));

    // Retrying the whole batch changes nothing at LINE and reports the same ids.
    const before = server.sandbox.context.counters.totals();
    expect(await adapter.sendBatch(batch)).toEqual(outcomes);
    expect(server.sandbox.context.counters.totals()).toEqual(before);
  });

  it('repeats a multicast that timed out exactly, even when its messages are retried in other batches', async () => {
    const [a, b, c] = [1, 2, 3].map((n) => userId(1000 + n)) as [string, string, string];
    const d = (await follow('D')).userId;
    const first = [a, b, c].map((to) => message(to, text('Flash sale')));
    const before = server.sandbox.context.counters.totals();
    server.sandbox.context.faults.configure('line', { timeoutRate: 1, timeoutMs: 500 });
    // One adapter throughout, as the channel directory keeps one per channel (a new one would know nothing).
    const impatient = build({ timeoutMs: 150 });
    const lost = await impatient.sendBatch(first);
    expect(lost.every((o) => !o.ok && o.failure.code === 'timeout')).toBe(true);
    server.sandbox.context.faults.reset();
    // Without memory, this batch would be a new multicast to b and d with a new key, and b would get it twice.
    const retried = { ...first[1], attempt: 2 } as OutboundMessage;
    const again = await impatient.sendBatch([retried, message(d, text('Flash sale'))]);
    expect(again.map((o) => o.ok)).toEqual([true, true]);
    const rest = await impatient.sendBatch(
      [first[0], first[2]].map((m) => ({ ...(m as OutboundMessage), attempt: 2 })),
    );
    expect(rest.map((o) => o.ok)).toEqual([true, true]);

    const after = server.sandbox.context.counters.totals();
    expect(after.total - before.total).toBe(4);
    expect(after.duplicates).toBe(before.duplicates);
    const sent = await requests();
    expect(sent.map((r) => [r.endpoint, [...r.recipients].sort()])).toEqual([
      ['multicast', [a, b, c]],
      ['push', [d]],
    ]);
    // Every message of the first multicast reports that multicast's request id.
    const ids = [again[0], ...rest].map((o) => (o?.ok ? o.providerMessageId.split(':')[0] : ''));
    expect(new Set(ids)).toEqual(new Set([sent[0]?.requestId]));
  });

  it('keeps personalised content, replies, duplicates and unsupported content apart, in order', async () => {
    const a = await follow('A');
    const b = await follow('B');
    const batch = [
      message(a.userId, text('Hi A')),
      message(b.userId, text('Hi B')),
      message(a.userId, text('Same')),
      message(b.userId, text('Same')),
      message(a.userId, text('Same')),
      message(b.userId, { kind: 'template', name: 't', language: 'en' }),
      message(b.userId, text('reply'), { replyToken: b.replyToken }),
    ];
    const outcomes = await adapter.sendBatch(batch);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true, false, true]);
    expect(outcomes[5]).toMatchObject({ failure: { code: 'unsupported_content' } });
    const sent = await requests();
    const summary = sent.map((r) => `${r.endpoint}:${r.recipients.length}`).sort();
    // "Same" to A, B, A: a multicast to A and B, and a push for A's second copy.
    expect(summary).toEqual(['multicast:2', 'push:1', 'push:1', 'push:1', 'reply:1']);
  });
});

describe('LINE adapter: profiles and credentials', () => {
  it('looks up display names, and validates the access token with bot info', async () => {
    const user = await follow('Mei Suzuki');
    await expect(adapter.lookupProfile(user.userId)).resolves.toEqual({ displayName: 'Mei Suzuki' });
    await expect(adapter.lookupProfile(userId(9))).resolves.toBeUndefined();
    await expect(adapter.validateCredentials()).resolves.toEqual({ ok: true });
    const bad = await build({ token: 'a-token-line-never-issued' }).validateCredentials();
    expect(bad).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^LINE answered 401: Authentication failed/),
    });
  });
});
