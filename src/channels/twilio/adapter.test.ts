import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  eventually,
  type SandboxServer,
  startSandboxServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../test/helpers/sandbox-server.js';
import type { ChannelEvent } from '../../domain/channel-event.js';
import type { MessageContent } from '../../domain/message-content.js';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createTwilioSandbox } from '../../sandbox/twilio/twilio-sandbox.js';
import { TwilioAdapter } from './adapter.js';
import type { TwilioCredentials, TwilioSender } from './config.js';

const NUMBER = '+15005550006';
const USER = '+14155550123';

let server: SandboxServer;
let receiver: WebhookReceiver;
let account: { accountSid: string; authToken: string; apiKey: { sid: string; secret: string } };
let adapter: TwilioAdapter;
let sequence = 0;

const build = (
  overrides: { credentials?: Partial<TwilioCredentials>; sender?: TwilioSender; baseUrl?: string } = {},
) =>
  new TwilioAdapter(
    {
      sender: overrides.sender ?? { from: NUMBER },
      credentials: { accountSid: account.accountSid, authToken: account.authToken, ...overrides.credentials },
      options: { baseUrl: overrides.baseUrl ?? `${server.url}/twilio`, timeoutMs: 2_000 },
    },
    {
      http: server.http,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      webhookUrl: `${receiver.url}/webhooks/app1/sms`,
      customFunctions: {},
      snsCertHosts: [],
    },
  );
const send = (content: MessageContent, to = USER, sender?: TwilioAdapter) =>
  (sender ?? adapter).send({ messageId: `01jd-twilio-${++sequence}`, to, content, attempt: 1 });
const messages = async () =>
  (await server.call('GET', `/twilio/_control/accounts/${account.accountSid}/messages`)).body.items as Record<
    string,
    string
  >[];

beforeAll(async () => {
  server = await startSandboxServer({ providers: [createTwilioSandbox] });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});
beforeEach(async () => {
  // Callbacks of the previous test's sends are signed with its account's token: let them land first.
  await server.sandbox.context.webhooks.idle();
  receiver.received.length = 0;
  account = (
    await server.call('POST', '/twilio/_control/accounts', {
      numbers: [{ phoneNumber: NUMBER, smsUrl: `${receiver.url}/webhooks/app1/sms` }],
    })
  ).body;
  adapter = build();
});
afterEach(() => server.sandbox.context.faults.reset());

describe('Twilio adapter: sending', () => {
  it('sends text and media, from a number, a Messaging Service or with an API key', async () => {
    const text = await send({ kind: 'text', text: 'Your table is ready' });
    expect(text).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    const media = await send({
      kind: 'media',
      mediaType: 'image',
      url: 'https://cdn.example/menu.jpg',
      caption: 'Menu',
    });
    expect(media.ok).toBe(true);
    const service = build({ sender: { messagingServiceSid: `MG${'a'.repeat(32)}` } });
    expect((await send({ kind: 'text', text: 'via service' }, USER, service)).ok).toBe(true);
    const keyed = build({
      credentials: { apiKeySid: account.apiKey.sid, apiKeySecret: account.apiKey.secret },
    });
    expect((await send({ kind: 'text', text: 'via key' }, USER, keyed)).ok).toBe(true);

    const sent = await messages();
    expect(sent.map((m) => [m.body, m.num_media, m.from])).toEqual([
      ['Your table is ready', '0', NUMBER],
      ['Menu', '1', NUMBER],
      ['via service', '0', NUMBER],
      ['via key', '0', NUMBER],
    ]);
    expect(sent[2]?.messaging_service_sid).toBe(`MG${'a'.repeat(32)}`);
  });

  it('refuses what SMS cannot carry without calling Twilio', async () => {
    for (const content of [
      { kind: 'template', name: 'x', language: 'en' },
      { kind: 'sticker', packageId: '1', stickerId: '2' },
      { kind: 'media', mediaType: 'image', mediaId: 'media-123' },
    ] satisfies MessageContent[]) {
      expect(await send(content)).toMatchObject({
        ok: false,
        failure: { class: 'permanent', code: 'unsupported_content' },
      });
    }
    expect(await messages()).toEqual([]);
  });

  it('classifies Twilio’s errors by code', async () => {
    const text: MessageContent = { kind: 'text', text: 'hi' };
    expect(await send(text, '+15005550001')).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: '21211' },
    });
    expect(await send(text, '+15005550009')).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: '21614' },
    });
    expect(await send({ kind: 'text', text: 'x'.repeat(1601) })).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: '21617' },
    });
    const wrong = build({ credentials: { authToken: 'ffffffffffffffffffffffffffffffff' } });
    expect(await send(text, USER, wrong)).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: '20003' },
    });

    await server.call('POST', `/twilio/_control/accounts/${account.accountSid}/inbound`, {
      from: USER,
      to: NUMBER,
      body: 'STOP',
    });
    expect(await send(text)).toEqual({
      ok: false,
      failure: { class: 'permanent', code: '21610', message: 'Attempt to send to unsubscribed recipient' },
    });

    await server.call('PUT', `/twilio/_control/accounts/${account.accountSid}/throttle`, {
      requestsPerSecond: 0.001,
    });
    await send(text, '+14155550124');
    expect(await send(text, '+14155550124')).toMatchObject({
      ok: false,
      failure: { class: 'throttled', code: '20429', scope: 'sender' },
    });
    await server.call('PUT', `/twilio/_control/accounts/${account.accountSid}/throttle`, {
      requestsPerSecond: null,
    });

    server.sandbox.context.faults.configure('twilio', { errorRate: 1 });
    expect(await send(text, '+14155550124')).toMatchObject({
      ok: false,
      failure: { class: 'retryable', code: '20500' },
    });
    server.sandbox.context.faults.reset();
    expect(await send(text, USER, build({ baseUrl: 'http://127.0.0.1:9' }))).toMatchObject({
      ok: false,
      failure: { class: 'retryable', code: 'network' },
    });
  });

  it('validates credentials with the account resource', async () => {
    await expect(adapter.validateCredentials()).resolves.toEqual({ ok: true });
    const wrong = await build({
      credentials: { authToken: 'ffffffffffffffffffffffffffffffff' },
    }).validateCredentials();
    expect(wrong).toEqual({ ok: false, reason: 'Twilio answered 401 (20003): Authenticate' });
  });
});

describe('Twilio adapter: webhooks from the sandbox', () => {
  it('reads the status callbacks of its own sends, with Herald’s message id, and the scripted failures', async () => {
    await server.call('PUT', `/twilio/_control/accounts/${account.accountSid}/outcomes`, {
      to: '+14155550124',
      status: 'undelivered',
      errorCode: 30006,
    });
    const ok = await adapter.send({
      messageId: '01jdaaaa',
      to: USER,
      content: { kind: 'text', text: 'a' },
      attempt: 1,
    });
    const lost = await adapter.send({
      messageId: '01jdbbbb',
      to: '+14155550124',
      content: { kind: 'text', text: 'b' },
      attempt: 1,
    });
    await eventually(() => (receiver.received.length >= 6 ? true : undefined), 'six callbacks');
    await server.sandbox.context.webhooks.idle();

    const events: ChannelEvent[] = [];
    for (const request of receiver.received) {
      const result = await adapter.handleWebhook(request);
      if (!result.accepted) throw new Error(result.reason);
      events.push(...result.events);
    }
    const summary = events
      .map((e) =>
        e.type === 'status' ? [e.providerMessageId, e.status, e.callbackData, e.error?.code] : [e.type],
      )
      .sort((a, b) => String(a).localeCompare(String(b)));
    const okId = ok.ok ? ok.providerMessageId : '';
    const lostId = lost.ok ? lost.providerMessageId : '';
    // Six callbacks: `queued` (Twilio still holds the message: no status of its own), `sent`, then the outcome.
    expect(summary).toEqual(
      [
        [okId, 'sent', '01jdaaaa', undefined],
        [okId, 'delivered', '01jdaaaa', undefined],
        [lostId, 'sent', '01jdbbbb', undefined],
        [lostId, 'failed', '01jdbbbb', '30006'],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
    expect(new Set(events.map((e) => e.eventId)).size).toBe(4);
  });

  it('reads incoming messages and answers them with empty TwiML', async () => {
    await server.call('POST', `/twilio/_control/accounts/${account.accountSid}/inbound`, {
      from: USER,
      to: NUMBER,
      body: 'Is the shop open?',
    });
    const request = await eventually(() => receiver.received[0], 'the incoming message');
    expect(await adapter.handleWebhook(request)).toMatchObject({
      accepted: true,
      events: [{ type: 'message', from: USER, content: { kind: 'text', text: 'Is the shop open?' } }],
      response: { contentType: 'text/xml', body: expect.stringContaining('<Response>') },
    });
  });
});
