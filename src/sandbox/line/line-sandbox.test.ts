import { HTTPFetchError, messagingApi, validateSignature } from '@line/bot-sdk';
import { isValid as isUlid } from 'ulidx';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  eventually,
  type SandboxServer,
  startSandboxServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../test/helpers/sandbox-server.js';
import { createLineSandbox } from './line-sandbox.js';

/** The sandbox's clock: tests move it to expire reply tokens and refill rate buckets without waiting. */
const clock = { at: Date.parse('2026-11-21T10:00:00Z'), now: () => clock.at };

let server: SandboxServer;
let receiver: WebhookReceiver;
let channel: { channelId: string; channelSecret: string; channelAccessToken: string; botUserId: string };
let client: messagingApi.MessagingApiClient;
const auth = () => ({ authorization: `Bearer ${channel.channelAccessToken}` });

beforeAll(async () => {
  server = await startSandboxServer({ providers: [createLineSandbox], clock });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

beforeEach(async () => {
  receiver.received.length = 0;
  receiver.answer = { status: 200 };
  const created = await server.call('POST', '/line/_control/channels', {
    webhookUrl: `${receiver.url}/hook`,
  });
  expect(created.status).toBe(201);
  channel = created.body;
  // The SDK resolves '/v2/bot/...' against baseURL with `new URL`, dropping any path, so it targets the sandbox
  // root, where the LINE sandbox serves its wire API too.
  client = new messagingApi.MessagingApiClient({
    channelAccessToken: channel.channelAccessToken,
    baseURL: server.url,
  });
});
afterEach(() => server.sandbox.context.faults.reset());

async function follow(
  displayName = 'Yui',
): Promise<{ userId: string; replyToken: string; webhookEventId: string }> {
  const answer = await server.call('POST', `/line/_control/channels/${channel.channelId}/follow`, {
    displayName,
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

const push = (body: unknown, headers: Record<string, string> = {}) =>
  server.call('POST', '/line/v2/bot/message/push', body, { ...auth(), ...headers });

describe('LINE sandbox with the official @line/bot-sdk client', () => {
  it('pushes, multicasts, broadcasts, narrowcasts and replies; reads profiles, bot info and quota', async () => {
    const yui = await follow('Yui');
    const ren = await follow('Ren');

    const pushed = await client.pushMessageWithHttpInfo(
      { to: yui.userId, messages: [{ type: 'text', text: 'Hello Yui' }] },
      crypto.randomUUID(),
    );
    expect(pushed.body.sentMessages).toEqual([
      { id: expect.stringMatching(/^\d{18,}$/), quoteToken: expect.any(String) },
    ]);
    expect(pushed.httpResponse.headers.get('x-line-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    await expect(
      client.multicast({
        to: [yui.userId, ren.userId],
        messages: [{ type: 'sticker', packageId: '446', stickerId: '1988' }],
      }),
    ).resolves.toEqual({});
    await expect(client.broadcast({ messages: [{ type: 'text', text: 'To everyone' }] })).resolves.toEqual(
      {},
    );
    const narrowcast = await client.narrowcastWithHttpInfo({
      messages: [{ type: 'text', text: 'Some of you' }],
    });
    expect(narrowcast.httpResponse.status).toBe(202);
    const progress = await client.getNarrowcastProgress(
      String(narrowcast.httpResponse.headers.get('x-line-request-id')),
    );
    expect(progress).toMatchObject({ phase: 'succeeded', targetCount: 2 });

    const replied = await client.replyMessage({
      replyToken: yui.replyToken,
      messages: [{ type: 'text', text: 'Welcome!' }],
    });
    expect(replied.sentMessages).toHaveLength(1);

    await expect(client.getProfile(yui.userId)).resolves.toMatchObject({
      userId: yui.userId,
      displayName: 'Yui',
    });
    await expect(client.getBotInfo()).resolves.toMatchObject({ userId: channel.botUserId, chatMode: 'bot' });
    await expect(client.getMessageQuota()).resolves.toEqual({ type: 'none' });
    // push 1 + multicast 2 + broadcast 2 + narrowcast 2; the reply is free.
    await expect(client.getMessageQuotaConsumption()).resolves.toEqual({ totalUsage: 7 });
  });

  it('answers bad requests the way LINE does, so the SDK raises HTTPFetchError with the body', async () => {
    const error = await client
      .validatePush({
        messages: [
          { type: 'text', text: '' },
          { type: 'image', originalContentUrl: 'http://x/a.jpg' } as never,
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPFetchError);
    expect((error as HTTPFetchError).status).toBe(400);
    expect(JSON.parse((error as HTTPFetchError).body)).toEqual({
      message: 'The request body has 3 error(s)',
      details: [
        { message: 'May not be empty', property: 'messages[0].text' },
        { message: 'Must be a valid HTTPS URL', property: 'messages[1].originalContentUrl' },
        { message: 'May not be empty', property: 'messages[1].previewImageUrl' },
      ],
    });

    const stranger = new messagingApi.MessagingApiClient({
      channelAccessToken: 'not-a-token-at-all',
      baseURL: server.url,
    });
    const denied = await stranger.getBotInfo().catch((e: unknown) => e);
    expect((denied as HTTPFetchError).status).toBe(401);
    expect(JSON.parse((denied as HTTPFetchError).body).message).toMatch(/^Authentication failed/);
  });
});

describe('LINE sandbox validation', () => {
  it('checks message counts, UTF-16 text length, emojis, media URLs, audio duration and types', async () => {
    const user = await follow();
    const apples = (n: number) => '🍎'.repeat(n);
    const cases: [unknown[], { message: string; property: string }[]][] = [
      [[], [{ message: 'Size must be between 1 and 5', property: 'messages' }]],
      [
        Array.from({ length: 6 }, () => ({ type: 'text', text: 'x' })),
        [{ message: 'Size must be between 1 and 5', property: 'messages' }],
      ],
      [
        [{ type: 'text', text: apples(2501) }],
        [{ message: 'Length must be between 0 and 5000', property: 'messages[0].text' }],
      ],
      [
        [
          {
            type: 'text',
            text: '$'.repeat(21),
            emojis: Array.from({ length: 21 }, (_, i) => ({ index: i, productId: 'p', emojiId: '001' })),
          },
        ],
        [{ message: 'Size must be between 0 and 20', property: 'messages[0].emojis' }],
      ],
      [
        [{ type: 'video', originalContentUrl: 'https://x/v.mp4' }],
        [{ message: 'May not be empty', property: 'messages[0].previewImageUrl' }],
      ],
      [
        [{ type: 'audio', originalContentUrl: 'https://x/a.m4a' }],
        [{ message: 'May not be empty', property: 'messages[0].duration' }],
      ],
      [
        [{ type: 'audio', originalContentUrl: 'https://x/a.m4a', duration: -5 }],
        [{ message: 'Must be a positive integer (milliseconds)', property: 'messages[0].duration' }],
      ],
      [
        [
          {
            type: 'image',
            originalContentUrl: `https://x/${'a'.repeat(2000)}`,
            previewImageUrl: 'https://x/p.jpg',
          },
        ],
        [{ message: 'Length must be between 0 and 2000', property: 'messages[0].originalContentUrl' }],
      ],
      [
        [{ type: 'carousel' }],
        [
          {
            message: expect.stringMatching(/^Must be one of the following values/),
            property: 'messages[0].type',
          },
        ],
      ],
    ];
    for (const [messages, details] of cases) {
      const answer = await push({ to: user.userId, messages });
      expect(answer.status, JSON.stringify(messages).slice(0, 80)).toBe(400);
      expect(answer.body).toEqual({ message: `The request body has ${details.length} error(s)`, details });
    }
    // 2,500 apples are 5,000 UTF-16 code units: exactly at the limit.
    expect((await push({ to: user.userId, messages: [{ type: 'text', text: apples(2500) }] })).status).toBe(
      200,
    );
  });

  it('checks recipients: multicast takes 1-500 user ids; push needs a valid, known id', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => `U${i.toString(16).padStart(32, '0')}`);
    const tooMany = await server.call(
      'POST',
      '/line/v2/bot/message/multicast',
      { to: ids, messages: [{ type: 'text', text: 'x' }] },
      auth(),
    );
    expect(tooMany.body).toEqual({
      message: 'The request body has 1 error(s)',
      details: [{ message: 'Size must be between 1 and 500', property: 'to' }],
    });
    const exactly = await server.call(
      'POST',
      '/line/v2/bot/message/multicast',
      { to: ids.slice(1), messages: [{ type: 'text', text: 'x' }] },
      auth(),
    );
    expect(exactly.status).toBe(200);
    expect((await push({ to: 'someone', messages: [{ type: 'text', text: 'x' }] })).body.message).toMatch(
      /The property, 'to'/,
    );
    expect((await push({ to: ids[0], messages: [{ type: 'text', text: 'x' }] })).body).toEqual({
      message: 'Failed to send messages',
    });
    // Groups and rooms are not modelled: a push to one is taken.
    const group = `C${'a'.repeat(32)}`;
    expect((await push({ to: group, messages: [{ type: 'text', text: 'x' }] })).status).toBe(200);
  });
});

describe('LINE sandbox reply tokens', () => {
  it('are single-use and expire after 60 seconds; a retry key on reply is refused', async () => {
    const user = await follow();
    const reply = (replyToken: string, headers: Record<string, string> = {}) =>
      server.call(
        'POST',
        '/line/v2/bot/message/reply',
        { replyToken, messages: [{ type: 'text', text: 'hi' }] },
        { ...auth(), ...headers },
      );

    expect((await reply(user.replyToken, { 'x-line-retry-key': crypto.randomUUID() })).status).toBe(400);
    expect((await reply(user.replyToken)).status).toBe(200);
    expect((await reply(user.replyToken)).body).toEqual({ message: 'Invalid reply token' });

    const message = await server.call('POST', `/line/_control/channels/${channel.channelId}/message`, {
      userId: user.userId,
      text: 'hello',
    });
    clock.at += 60_001;
    expect((await reply(message.body.replyToken)).body).toEqual({ message: 'Invalid reply token' });

    const fresh = await server.call('POST', `/line/_control/channels/${channel.channelId}/message`, {
      userId: user.userId,
      text: 'again',
    });
    clock.at += 59_000;
    expect((await reply(fresh.body.replyToken)).status).toBe(200);
  });
});

describe('LINE sandbox retry keys', () => {
  it('runs a push once: a retry with the same key gets 409, the accepted request id and its sentMessages, and no duplicate', async () => {
    const user = await follow();
    const key = crypto.randomUUID();
    const before = server.sandbox.context.counters.totals();
    const first = await push(
      { to: user.userId, messages: [{ type: 'text', text: 'once' }] },
      { 'x-line-retry-key': key },
    );
    const again = await push(
      { to: user.userId, messages: [{ type: 'text', text: 'once' }] },
      { 'x-line-retry-key': key },
    );
    expect(first.status).toBe(200);
    expect(again.status).toBe(409);
    expect(again.headers['x-line-accepted-request-id']).toBe(first.headers['x-line-request-id']);
    expect(again.headers['x-line-request-id']).not.toBe(first.headers['x-line-request-id']);
    // Errors carry a request id too.
    const unauthorised = await server.call(
      'POST',
      '/line/v2/bot/message/push',
      {},
      { authorization: 'Bearer nope-nope-nope-nope' },
    );
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers['x-line-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.body).toEqual({
      message: 'The retry key is already accepted',
      sentMessages: first.body.sentMessages,
    });
    const after = server.sandbox.context.counters.totals();
    expect(after.total - before.total).toBe(1);
    expect(after.duplicates).toBe(before.duplicates);

    const multicastKey = crypto.randomUUID();
    const body = { to: [user.userId], messages: [{ type: 'text', text: 'm' }] };
    await server.call('POST', '/line/v2/bot/message/multicast', body, {
      ...auth(),
      'x-line-retry-key': multicastKey,
    });
    const repeated = await server.call('POST', '/line/v2/bot/message/multicast', body, {
      ...auth(),
      'x-line-retry-key': multicastKey,
    });
    expect(repeated.status).toBe(409);
    expect(repeated.body).toEqual({ message: 'The retry key is already accepted' });

    expect(
      (
        await push(
          { to: user.userId, messages: [{ type: 'text', text: 'x' }] },
          { 'x-line-retry-key': 'not-a-uuid' },
        )
      ).status,
    ).toBe(400);
  });

  it('does not register a key whose request failed, so the retry is executed', async () => {
    const user = await follow();
    const key = crypto.randomUUID();
    server.sandbox.context.faults.configure('line', { errorRate: 1 });
    const failed = await push(
      { to: user.userId, messages: [{ type: 'text', text: 'x' }] },
      { 'x-line-retry-key': key },
    );
    expect(failed.status).toBe(500);
    server.sandbox.context.faults.reset();
    expect(
      (await push({ to: user.userId, messages: [{ type: 'text', text: 'x' }] }, { 'x-line-retry-key': key }))
        .status,
    ).toBe(200);
  });
});

describe('LINE sandbox limits', () => {
  it('keeps a rate bucket per endpoint and answers 429 with the rate-limit message', async () => {
    const user = await follow();
    const limits = await server.call('PUT', `/line/_control/channels/${channel.channelId}/rate-limits`, {
      push: { requests: 2, perSeconds: 1 },
    });
    expect(limits.body.push).toEqual({ requests: 2, perSeconds: 1 });
    expect(limits.body.multicast).toEqual({ requests: 200, perSeconds: 1 });
    const message = { to: user.userId, messages: [{ type: 'text', text: 'x' }] };
    expect((await push(message)).status).toBe(200);
    expect((await push(message)).status).toBe(200);
    const limited = await push(message);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: 'The API rate limit has been exceeded. Try again later.' });
    const multicast = await server.call(
      'POST',
      '/line/v2/bot/message/multicast',
      { ...message, to: [user.userId] },
      auth(),
    );
    expect(multicast.status).toBe(200);
    clock.at += 1000;
    expect((await push(message)).status).toBe(200);
  });

  it('limits broadcasts to 60 an hour by default', async () => {
    await follow();
    const broadcast = () =>
      server.call(
        'POST',
        '/line/v2/bot/message/broadcast',
        { messages: [{ type: 'text', text: 'b' }] },
        auth(),
      );
    for (let i = 0; i < 60; i++) expect((await broadcast()).status).toBe(200);
    expect((await broadcast()).status).toBe(429);
    clock.at += 60_000;
    expect((await broadcast()).status).toBe(200);
  });

  it('counts the monthly quota per recipient and answers 429 with the quota message; replies are free', async () => {
    const a = await follow('A');
    const b = await follow('B');
    await server.call('PUT', `/line/_control/channels/${channel.channelId}/quota`, { limit: 3 });
    expect(
      (
        await server.call(
          'POST',
          '/line/v2/bot/message/multicast',
          { to: [a.userId, b.userId], messages: [{ type: 'text', text: 'x' }] },
          auth(),
        )
      ).status,
    ).toBe(200);
    expect((await push({ to: a.userId, messages: [{ type: 'text', text: 'x' }] })).status).toBe(200);
    const over = await push({ to: a.userId, messages: [{ type: 'text', text: 'x' }] });
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ message: 'You have reached your monthly limit.' });
    const reply = await server.call(
      'POST',
      '/line/v2/bot/message/reply',
      { replyToken: b.replyToken, messages: [{ type: 'text', text: 'x' }] },
      auth(),
    );
    expect(reply.status).toBe(200);
    await expect(client.getMessageQuota()).resolves.toEqual({ type: 'limited', value: 3 });
  });

  it('turns injected faults into LINE errors, and a hang into an accepted message answered late', async () => {
    const user = await follow();
    const message = { to: user.userId, messages: [{ type: 'text', text: 'x' }] };
    server.sandbox.context.faults.configure('line', { throttleRate: 1 });
    expect((await push(message)).body).toEqual({
      message: 'The API rate limit has been exceeded. Try again later.',
    });
    server.sandbox.context.faults.configure('line', { throttleRate: 0, timeoutRate: 1, timeoutMs: 150 });
    const before = server.sandbox.context.counters.totals().total;
    const started = Date.now();
    const late = await push(message);
    expect(late.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(server.sandbox.context.counters.totals().total).toBe(before + 1);
  });
});

describe('LINE sandbox webhooks', () => {
  it('pings on provisioning, then signs follow, message, postback and unfollow events the SDK accepts', async () => {
    const ping = await eventually(() => receiver.received[0], 'the verification ping');
    expect(JSON.parse(ping.rawBody.toString())).toEqual({ destination: channel.botUserId, events: [] });

    const user = await follow('Sora');
    await server.call('POST', `/line/_control/channels/${channel.channelId}/message`, {
      userId: user.userId,
      text: 'hi there',
    });
    await server.call('POST', `/line/_control/channels/${channel.channelId}/postback`, {
      userId: user.userId,
      data: 'action=buy',
      params: { date: '2026-12-24' },
    });
    await server.call('POST', `/line/_control/channels/${channel.channelId}/unfollow`, {
      userId: user.userId,
    });
    await eventually(() => (receiver.received.length >= 5 ? true : undefined), 'five webhooks');
    await server.sandbox.context.webhooks.idle();

    const events = receiver.received.slice(1).map((r) => {
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(validateSignature(r.rawBody, channel.channelSecret, String(r.headers['x-line-signature']))).toBe(
        true,
      );
      const body = JSON.parse(r.rawBody.toString());
      expect(body.destination).toBe(channel.botUserId);
      return body.events[0];
    });
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    for (const e of events) {
      expect(isUlid(e.webhookEventId)).toBe(true);
      expect(e).toMatchObject({
        mode: 'active',
        timestamp: clock.at,
        source: { type: 'user', userId: user.userId },
        deliveryContext: { isRedelivery: false },
      });
    }
    expect(byType.follow).toMatchObject({ replyToken: user.replyToken, follow: { isUnblocked: false } });
    expect(byType.message).toMatchObject({
      replyToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      message: { type: 'text', text: 'hi there', id: expect.any(String) },
    });
    expect(byType.postback).toMatchObject({
      postback: { data: 'action=buy', params: { date: '2026-12-24' } },
    });
    expect(byType.unfollow.replyToken).toBeUndefined();
    expect(new Set(events.map((e) => e.webhookEventId)).size).toBe(4);
  });

  it('redelivers an event the receiver failed with isRedelivery true and the same webhookEventId', async () => {
    await eventually(() => receiver.received[0], 'the verification ping');
    await server.sandbox.context.webhooks.idle();
    receiver.received.length = 0;
    receiver.answer = { status: 500 };
    const user = await follow();
    await eventually(() => receiver.received[0], 'the first delivery');
    receiver.answer = { status: 200 };
    await eventually(() => receiver.received[1], 'the redelivery');
    const [first, second] = receiver.received.map((r) => {
      expect(validateSignature(r.rawBody, channel.channelSecret, String(r.headers['x-line-signature']))).toBe(
        true,
      );
      return JSON.parse(r.rawBody.toString()).events[0];
    });
    expect(first.deliveryContext).toEqual({ isRedelivery: false });
    expect(second.deliveryContext).toEqual({ isRedelivery: true });
    expect(second.webhookEventId).toBe(first.webhookEventId);
    expect(second.replyToken).toBe(user.replyToken);
  });

  it('tests the webhook endpoint through the Messaging API, as the console’s Verify button does', async () => {
    await expect(client.testWebhookEndpoint({ endpoint: `${receiver.url}/verify` })).resolves.toMatchObject({
      success: true,
      statusCode: 200,
    });
    receiver.answer = { status: 404 };
    await expect(client.testWebhookEndpoint()).resolves.toMatchObject({ success: false, statusCode: 404 });
  });
});
