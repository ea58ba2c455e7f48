import { createHash } from 'node:crypto';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import {
  EMPTY_TWIML,
  handleTwilioWebhook,
  parseTwilioForm,
  twilioSignature,
  verifyTwilioSignature,
} from './webhook.js';

const TOKEN = 'f1e2d3c4b5a697887766554433221100';
const URL_ = 'https://herald.example/webhooks/app1/sms?heraldMessageId=01jdz8m0k5x';

function post(
  params: [string, string][],
  options: { url?: string; token?: string; signUrl?: string } = {},
): WebhookRequest {
  const form = new URLSearchParams(params);
  const parsed = parseTwilioForm(form.toString());
  const url = options.url ?? URL_;
  return {
    method: 'POST',
    url,
    query: Object.fromEntries(new URL(url).searchParams),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(options.token ?? TOKEN, options.signUrl ?? url, parsed),
    },
    rawBody: Buffer.from(form.toString()),
  };
}

const status = (value: string, extra: [string, string][] = []): [string, string][] => [
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['SmsSid', 'SM0123456789abcdef0123456789abcdef'],
  ['MessageStatus', value],
  ['SmsStatus', value],
  ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
  ['From', '+15005550006'],
  ['To', '+14155550123'],
  ['ApiVersion', '2010-04-01'],
  ...extra,
];

describe('X-Twilio-Signature', () => {
  it('computes what twilio-node computes, including repeated parameters', () => {
    const params: [string, string][] = [
      ['Digits', '1234'],
      ['To', '+18005551212'],
      ['From', '+12349013030'],
      ['CallSid', 'CA1234567890ABCDE'],
      ['MediaUrl', 'https://b.example/2'],
      ['MediaUrl', 'https://b.example/1'],
      ['MediaUrl', 'https://b.example/1'],
    ];
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const ours = twilioSignature('12345', url, parseTwilioForm(new URLSearchParams(params).toString()));
    const grouped = {
      Digits: '1234',
      To: '+18005551212',
      From: '+12349013030',
      CallSid: 'CA1234567890ABCDE',
      MediaUrl: ['https://b.example/2', 'https://b.example/1', 'https://b.example/1'],
    };
    expect(twilio.getExpectedTwilioSignature('12345', url, grouped)).toBe(ours);
    expect(twilio.validateRequest('12345', ours, url, grouped)).toBe(true);
  });

  it('accepts the URL with or without its port (as twilio-node does), and no other URL', () => {
    const params = parseTwilioForm('Body=hi&MessageSid=SM1');
    const withPort = 'https://herald.example:443/webhooks/a/sms?x=1';
    const withoutPort = 'https://herald.example/webhooks/a/sms?x=1';
    expect(verifyTwilioSignature(TOKEN, withoutPort, params, twilioSignature(TOKEN, withPort, params))).toBe(
      true,
    );
    expect(verifyTwilioSignature(TOKEN, withPort, params, twilioSignature(TOKEN, withoutPort, params))).toBe(
      true,
    );
    const http = 'http://127.0.0.1:80/hook';
    expect(
      verifyTwilioSignature(TOKEN, 'http://127.0.0.1/hook', params, twilioSignature(TOKEN, http, params)),
    ).toBe(true);
    expect(
      verifyTwilioSignature(
        TOKEN,
        'https://other.example/webhooks/a/sms?x=1',
        params,
        twilioSignature(TOKEN, withoutPort, params),
      ),
    ).toBe(false);
    expect(
      verifyTwilioSignature(
        TOKEN,
        withoutPort.replace('x=1', 'x=2'),
        params,
        twilioSignature(TOKEN, withoutPort, params),
      ),
    ).toBe(false);
    expect(
      verifyTwilioSignature(
        TOKEN,
        withoutPort,
        params,
        twilioSignature('another-token-entirely', withoutPort, params),
      ),
    ).toBe(false);
    expect(verifyTwilioSignature(TOKEN, withoutPort, params, undefined)).toBe(false);
    expect(
      verifyTwilioSignature(
        TOKEN,
        withoutPort,
        parseTwilioForm('Body=hi!&MessageSid=SM1'),
        twilioSignature(TOKEN, withoutPort, params),
      ),
    ).toBe(false);
  });
});

describe('Twilio status callbacks', () => {
  it('leaves the statuses of a message Twilio still holds (accepted, scheduled, queued) to sent_for_delivery', () => {
    for (const held of ['accepted', 'scheduled', 'queued'])
      expect(handleTwilioWebhook(post(status(held)), TOKEN, 1_700_000_000_000), held).toEqual({
        accepted: true,
        events: [],
      });
  });

  it.each([
    ['sending', 'sent'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
  ])('maps %s to %s, with Herald’s message id from the callback URL', (raw, mapped) => {
    const result = handleTwilioWebhook(post(status(raw)), TOKEN, 1_700_000_000_000);
    expect(result).toEqual({
      accepted: true,
      events: [
        {
          type: 'status',
          eventId: `SM0123456789abcdef0123456789abcdef:${raw}`,
          occurredAt: 1_700_000_000_000,
          providerMessageId: 'SM0123456789abcdef0123456789abcdef',
          status: mapped,
          callbackData: '01jdz8m0k5x',
        },
      ],
    });
  });

  it('reports undelivered and failed as failed with the ErrorCode', () => {
    for (const raw of ['undelivered', 'failed']) {
      const result = handleTwilioWebhook(
        post(
          status(raw, [
            ['ErrorCode', '30003'],
            ['RawDlrDoneDate', '2611211005'],
          ]),
        ),
        TOKEN,
        5,
      );
      expect(result).toMatchObject({
        accepted: true,
        events: [
          {
            type: 'status',
            status: 'failed',
            eventId: `SM0123456789abcdef0123456789abcdef:${raw}`,
            error: { code: '30003', message: 'Twilio 30003: unreachable destination handset' },
          },
        ],
      });
    }
  });

  it('acknowledges a status it does not know without an event', () => {
    expect(handleTwilioWebhook(post(status('teleported')), TOKEN, 5)).toEqual({ accepted: true, events: [] });
  });
});

describe('Twilio incoming messages', () => {
  const inbound = (body: string, extra: [string, string][] = []): [string, string][] => [
    ['MessageSid', 'SMaaaabbbbccccddddeeeeffff00001111'],
    ['SmsSid', 'SMaaaabbbbccccddddeeeeffff00001111'],
    ['SmsStatus', 'received'],
    ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
    ['From', '+14155550123'],
    ['To', '+15005550006'],
    ['Body', body],
    ['NumSegments', '1'],
    ['ApiVersion', '2010-04-01'],
    ...(extra.some(([k]) => k === 'NumMedia') ? [] : ([['NumMedia', '0']] as [string, string][])),
    ...extra,
  ];
  const incomingUrl = 'https://herald.example/webhooks/app1/sms';

  it('turns a text into a message event answered with empty TwiML', () => {
    const result = handleTwilioWebhook(post(inbound('Where is my order?'), { url: incomingUrl }), TOKEN, 9);
    expect(result).toEqual({
      accepted: true,
      events: [
        {
          type: 'message',
          eventId: 'SMaaaabbbbccccddddeeeeffff00001111',
          occurredAt: 9,
          from: '+14155550123',
          providerMessageId: 'SMaaaabbbbccccddddeeeeffff00001111',
          content: { kind: 'text', text: 'Where is my order?' },
        },
      ],
      response: { status: 200, contentType: 'text/xml', body: EMPTY_TWIML },
    });
  });

  it('reads the first media item, and reports Advanced Opt-Out keywords as opt-out and opt-in events', () => {
    const media = handleTwilioWebhook(
      post(
        inbound('Look', [
          ['NumMedia', '1'],
          ['MediaUrl0', 'https://api.twilio.com/m/ME1'],
          ['MediaContentType0', 'image/jpeg'],
        ]),
        { url: incomingUrl },
      ),
      TOKEN,
      9,
    );
    expect(media).toMatchObject({
      events: [
        {
          content: {
            kind: 'media',
            mediaType: 'image',
            mediaId: 'https://api.twilio.com/m/ME1',
            mimeType: 'image/jpeg',
            caption: 'Look',
          },
        },
      ],
    });
    const stop = handleTwilioWebhook(
      post(inbound('STOP', [['OptOutType', 'STOP']]), { url: incomingUrl }),
      TOKEN,
      9,
    );
    expect(stop.accepted && stop.events.map((e) => [e.type, e.eventId])).toEqual([
      ['message', 'SMaaaabbbbccccddddeeeeffff00001111'],
      ['optout', 'SMaaaabbbbccccddddeeeeffff00001111:stop'],
    ]);
    const start = handleTwilioWebhook(
      post(inbound('start', [['OptOutType', 'START']]), { url: incomingUrl }),
      TOKEN,
      9,
    );
    expect(start.accepted && start.events[1]).toMatchObject({
      type: 'optin',
      keyword: 'start',
      from: '+14155550123',
    });
  });
});

describe('Twilio webhook rejections', () => {
  it('answers 401 for a wrong, missing or misplaced signature, and 400 for a GET or a body without MessageSid', () => {
    expect(
      handleTwilioWebhook(post(status('sent'), { token: 'not-the-auth-token-at-all' }), TOKEN, 1),
    ).toMatchObject({ accepted: false, status: 401 });
    const unsigned = post(status('sent'));
    expect(
      handleTwilioWebhook(
        { ...unsigned, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        TOKEN,
        1,
      ),
    ).toMatchObject({ accepted: false, status: 401 });
    // Signed for another URL (another channel's webhook): refused.
    expect(
      handleTwilioWebhook(
        post(status('sent'), { signUrl: 'https://herald.example/webhooks/app2/sms' }),
        TOKEN,
        1,
      ),
    ).toMatchObject({ accepted: false, status: 401 });
    expect(handleTwilioWebhook({ ...post(status('sent')), method: 'GET' }, TOKEN, 1)).toMatchObject({
      accepted: false,
      status: 400,
    });
    expect(handleTwilioWebhook(post([['Body', 'x']]), TOKEN, 1)).toMatchObject({
      accepted: false,
      status: 400,
    });
  });

  it('checks JSON webhooks by the signed URL and bodySHA256', () => {
    const body = '{"event":"x"}';
    const hash = createHash('sha256').update(body).digest('hex');
    const url = `https://herald.example/webhooks/a/sms?bodySHA256=${hash}`;
    const request = (raw: string): WebhookRequest => ({
      method: 'POST',
      url,
      query: { bodySHA256: hash },
      headers: { 'x-twilio-signature': twilioSignature(TOKEN, url, new Map()) },
      rawBody: Buffer.from(raw),
    });
    expect(handleTwilioWebhook(request(body), TOKEN, 1)).toEqual({ accepted: true, events: [] });
    expect(handleTwilioWebhook(request('{"event":"y"}'), TOKEN, 1)).toMatchObject({
      accepted: false,
      status: 401,
    });
  });
});
