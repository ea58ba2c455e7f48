import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import { validateSignature } from '@line/bot-sdk';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import { handleLineWebhook, parseLineWebhook, verifyLineSignature } from './webhook.js';

/** Copies of the shared fixtures (line-bot-sdk-python's webhook.json and line-bot-sdk-nodejs's signature tests). */
const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(new URL(`./test-support/${name}`, import.meta.url), 'utf8'));

/**
 * The bodies the signature vectors name (`bodyFile`) are not in the fixtures folder; these are the exact bytes of
 * line-bot-sdk-nodejs's tests they come from (middleware.spec.ts signs JSON.stringify of its webhook, and
 * validate-signature.spec.ts `{"hello":"world"}`). Each reproduces its vector's signature below.
 */
const VECTOR_BODIES: Record<string, string> = {
  'middleware-signed-body.json':
    '{"events":[{"message":{"id":"test_event_message_id","text":"this is test message.😄😅😢😞😄😅😢😞","quoteToken":"test_quote_token","type":"text"},"replyToken":"test_reply_token","source":{"groupId":"test_group_id","type":"group"},"webhookEventId":"test_webhook_event_id","deliveryContext":{"isRedelivery":false},"timestamp":0,"mode":"active","type":"message"}],"destination":"Uaaaabbbbccccddddeeeeffff"}',
  'validate-signature-body.json': '{"hello":"world"}',
};

interface Vector {
  bodyFile: string;
  channelSecret: string;
  signature: string;
  valid: boolean;
}

const USER = 'U206d25c2ea6bd87c17655609a1c37cb8';
const ROOM = 'Ra8dbf4673c4c812cd491258042226c99';
const GROUP = 'Ca56f94637cc4347f90a25382909b24b9';
const TOKEN = 'nHuyWiB7yP5Zw52FIkcQobQuGDXCTA';
const AT = 1462629479859;
const common = { eventId: 'testwebhookeventid', occurredAt: AT };

function request(body: string, secret: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  const rawBody = Buffer.from(body);
  return {
    method: 'POST',
    url: 'https://herald.example/webhooks/app/line',
    query: {},
    headers: {
      'content-type': 'application/json',
      'x-line-signature': createHmac('sha256', secret).update(rawBody).digest('base64'),
    },
    rawBody,
    ...overrides,
  };
}

describe('LINE webhook signatures', () => {
  const { vectors } = fixture('signature-vectors.json') as { vectors: Vector[] };

  it.each(vectors)('vector $bodyFile with $signature is valid: $valid', (vector) => {
    const body = VECTOR_BODIES[vector.bodyFile];
    expect(body, `no body for ${vector.bodyFile}`).toBeDefined();
    const raw = Buffer.from(body as string, 'utf8');
    expect(verifyLineSignature(raw, vector.channelSecret, vector.signature)).toBe(vector.valid);
    // The official SDK agrees on the same bytes.
    expect(validateSignature(raw, vector.channelSecret, vector.signature)).toBe(vector.valid);
  });

  it('rejects a missing, empty, truncated or wrong-secret signature', () => {
    const raw = Buffer.from('{"destination":"U1","events":[]}');
    const good = createHmac('sha256', 'secret-1').update(raw).digest('base64');
    expect(verifyLineSignature(raw, 'secret-1', good)).toBe(true);
    expect(verifyLineSignature(raw, 'secret-1', undefined)).toBe(false);
    expect(verifyLineSignature(raw, 'secret-1', '')).toBe(false);
    expect(verifyLineSignature(raw, 'secret-1', good.slice(0, 20))).toBe(false);
    expect(verifyLineSignature(raw, 'secret-2', good)).toBe(false);
    expect(verifyLineSignature(Buffer.from(`${raw.toString()} `), 'secret-1', good)).toBe(false);
  });
});

describe('LINE webhook events', () => {
  it('parses all 28 fixture events into the events Herald acts on, and lists the rest as ignored', () => {
    const parsed = parseLineWebhook(fixture('webhook-events.json'), 0);
    if (!parsed.ok) throw new Error(parsed.reason);
    const datetime = 'action=buyItem&itemId=123123&color=red';
    expect(parsed.webhook.events).toEqual([
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: '325708',
        content: { kind: 'text', text: 'Hello, world' },
        replyToken: TOKEN,
      },
      // From a room: addressed to the room, where a reply goes.
      {
        ...common,
        type: 'message',
        from: ROOM,
        providerMessageId: '325708',
        content: { kind: 'media', mediaType: 'image', mediaId: '325708' },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: '325708',
        content: { kind: 'media', mediaType: 'video', mediaId: '325708' },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: '325708',
        content: { kind: 'media', mediaType: 'audio', mediaId: '325708' },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: '325708',
        content: {
          kind: 'location',
          latitude: 35.65910807942215,
          longitude: 139.70372892916203,
          name: 'my location',
          address: 'Tokyo',
        },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: '325708',
        content: { kind: 'media', mediaType: 'sticker', mediaId: '1/1', caption: 'Just sticker' },
        replyToken: TOKEN,
      },
      { ...common, type: 'follow', from: USER, replyToken: TOKEN },
      { ...common, type: 'unfollow', from: USER },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: 'testwebhookeventid',
        content: { kind: 'postback', data: datetime, params: { datetime: '2017-12-25T01:00' } },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: GROUP,
        providerMessageId: '325708',
        content: { kind: 'text', text: 'Hello, world' },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: ROOM,
        providerMessageId: '325708',
        content: { kind: 'text', text: 'Hello, world' },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: 'testwebhookeventid',
        content: { kind: 'postback', data: datetime, params: { date: '2013-04-01' } },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: 'testwebhookeventid',
        content: { kind: 'postback', data: datetime, params: { time: '10:00' } },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: 'testwebhookeventid',
        content: { kind: 'postback', data: datetime, params: { datetime: '2013-04-01T10:00' } },
        replyToken: TOKEN,
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: '325708',
        content: { kind: 'media', mediaType: 'file', mediaId: '325708' },
        replyToken: TOKEN,
      },
      {
        ...common,
        occurredAt: 1627356924722,
        type: 'message',
        from: USER,
        providerMessageId: '354718705033693861',
        content: { kind: 'media', mediaType: 'image', mediaId: '354718705033693861' },
        replyToken: 'fbf94e269485410da6b7e3a5e33283e8',
      },
      {
        ...common,
        type: 'message',
        from: USER,
        providerMessageId: '325708',
        content: { kind: 'text', text: 'Hello, world' },
        replyToken: TOKEN,
      },
    ]);
    expect(parsed.webhook.ignored).toEqual([
      'join',
      'leave',
      'beacon',
      'beacon',
      'accountLink',
      'memberJoined',
      'memberLeft',
      'unsend',
      'videoPlayComplete',
      'messageEdited',
      'undefined',
    ]);
  });

  it('accepts the empty verification ping with no events', () => {
    const { result } = handleLineWebhook(
      request('{"destination":"Uxxx","events":[]}', 's3cret-s3cret'),
      's3cret-s3cret',
      1,
    );
    expect(result).toEqual({ accepted: true, events: [] });
  });

  it('answers 401 for a bad or missing signature and 400 for a body that is not LINE JSON', () => {
    const secret = 'channel-secret-1';
    const body = '{"destination":"U1","events":[]}';
    const wrong = handleLineWebhook(request(body, 'another-secret'), secret, 1).result;
    expect(wrong).toMatchObject({ accepted: false, status: 401 });
    const missing = handleLineWebhook(
      request(body, secret, { headers: { 'content-type': 'application/json' } }),
      secret,
      1,
    );
    expect(missing.result).toMatchObject({ accepted: false, status: 401 });
    expect(handleLineWebhook(request('{not json', secret), secret, 1).result).toMatchObject({
      accepted: false,
      status: 400,
    });
    expect(handleLineWebhook(request('{"events":"x"}', secret), secret, 1).result).toMatchObject({
      accepted: false,
      status: 400,
    });
    expect(handleLineWebhook(request(body, secret, { method: 'GET' }), secret, 1).result).toMatchObject({
      accepted: false,
      status: 400,
    });
  });

  it('keeps a redelivery’s webhookEventId, maps unknown message types to unsupported, and survives junk events', () => {
    const secret = 'channel-secret-2';
    const body = JSON.stringify({
      destination: 'U1',
      events: [
        {
          type: 'message',
          mode: 'active',
          timestamp: 1700000000000,
          source: { type: 'user', userId: USER },
          webhookEventId: '01H810YECXQQZ37VAXPF6H9E6T',
          deliveryContext: { isRedelivery: true },
          replyToken: 'r1',
          message: { id: '9', type: 'hologram', quotedMessageId: '8' },
        },
        42,
        { type: 'message', source: { type: 'user', userId: USER }, webhookEventId: 'x' },
        { type: 'follow', source: { type: 'user' }, webhookEventId: 'y' },
        { type: 'postback', source: { type: 'user', userId: USER }, webhookEventId: 'z', postback: {} },
      ],
    });
    const { result, ignored } = handleLineWebhook(request(body, secret), secret, 5);
    expect(result).toEqual({
      accepted: true,
      events: [
        {
          eventId: '01H810YECXQQZ37VAXPF6H9E6T',
          occurredAt: 1700000000000,
          type: 'message',
          from: USER,
          providerMessageId: '9',
          content: { kind: 'unsupported', providerType: 'hologram' },
          replyToken: 'r1',
          contextMessageId: '8',
        },
      ],
    });
    expect(ignored).toEqual(['malformed', 'message', 'follow', 'postback']);
  });

  it('gives events without a webhookEventId a stable id of their own', () => {
    const event = { type: 'unfollow', timestamp: 1, source: { type: 'user', userId: USER } };
    const first = parseLineWebhook({ events: [event] }, 0);
    const again = parseLineWebhook({ events: [{ ...event }] }, 99);
    if (!first.ok || !again.ok) throw new Error('not parsed');
    expect(first.webhook.events[0]?.eventId).toMatch(/^line-[0-9a-f]{32}$/);
    expect(first.webhook.events[0]?.eventId).toBe(again.webhook.events[0]?.eventId);
  });
});
