import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  eventually,
  type SandboxServer,
  startSandboxServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../test/helpers/sandbox-server.js';
import { createTwilioSandbox, smsSegments } from './twilio-sandbox.js';

const clock = { at: Date.parse('2026-11-21T10:00:00Z'), now: () => clock.at };
const NUMBER = '+15005550006';
const USER = '+14155550123';

let server: SandboxServer;
let receiver: WebhookReceiver;
let account: { accountSid: string; authToken: string; apiKey: { sid: string; secret: string } };

beforeAll(async () => {
  server = await startSandboxServer({ providers: [createTwilioSandbox], clock });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});
beforeEach(async () => {
  receiver.received.length = 0;
  const created = await server.call('POST', '/twilio/_control/accounts', {
    numbers: [{ phoneNumber: NUMBER, smsUrl: `${receiver.url}/incoming` }],
  });
  expect(created.status).toBe(201);
  account = created.body;
});
afterEach(() => server.sandbox.context.faults.reset());

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  'content-type': 'application/x-www-form-urlencoded',
});
const send = (
  params: Record<string, string | string[]>,
  auth = basic(account.accountSid, account.authToken),
) => {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const value of [v].flat()) form.append(k, value);
  return server.call(
    'POST',
    `/twilio/2010-04-01/Accounts/${account.accountSid}/Messages.json`,
    form.toString(),
    auth,
  );
};
const formOf = (raw: Buffer) => {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw.toString())) out[k] = v;
  return out;
};

describe('Twilio sandbox: Messages.json', () => {
  it('answers 201 with the snake_case message resource, queued, with segments counted', async () => {
    const answer = await send({ To: USER, From: NUMBER, Body: 'Hello there' });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      account_sid: account.accountSid,
      from: NUMBER,
      to: USER,
      body: 'Hello there',
      status: 'queued',
      direction: 'outbound-api',
      num_segments: '1',
      num_media: '0',
      api_version: '2010-04-01',
      error_code: null,
      date_created: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/),
      uri: `/2010-04-01/Accounts/${account.accountSid}/Messages/${answer.body.sid}.json`,
    });
    expect(smsSegments('x'.repeat(160))).toBe(1);
    expect(smsSegments('x'.repeat(161))).toBe(2);
    expect(smsSegments('€'.repeat(80))).toBe(1);
    expect(smsSegments('é'.repeat(161))).toBe(2);
    expect(smsSegments('日'.repeat(70))).toBe(1);
    expect(smsSegments('日'.repeat(71))).toBe(2);
  });

  it('accepts the account’s API key, and answers 401 code 20003 to anything else', async () => {
    expect(
      (await send({ To: USER, From: NUMBER, Body: 'k' }, basic(account.apiKey.sid, account.apiKey.secret)))
        .status,
    ).toBe(201);
    const denied = await send(
      { To: USER, From: NUMBER, Body: 'k' },
      basic(account.accountSid, 'wrong-token-0123456789'),
    );
    expect(denied.status).toBe(401);
    expect(denied.body).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  });

  it('validates like Twilio: codes, messages, more_info and status', async () => {
    const cases: [Record<string, string | string[]>, number][] = [
      [{ From: NUMBER, Body: 'x' }, 21604],
      [{ To: USER, Body: 'x' }, 21603],
      [{ To: USER, From: NUMBER }, 21602],
      [{ To: '555-0123', From: NUMBER, Body: 'x' }, 21211],
      [{ To: '+15005550001', From: NUMBER, Body: 'x' }, 21211],
      [{ To: '+15005550009', From: NUMBER, Body: 'x' }, 21614],
      [{ To: USER, From: '+15005550007', Body: 'x' }, 21606],
      [{ To: USER, From: NUMBER, Body: 'x'.repeat(1601) }, 21617],
      [{ To: USER, From: NUMBER, MediaUrl: 'ftp://x/y.png' }, 21620],
      [{ To: USER, From: NUMBER, Body: 'x', StatusCallback: 'not a url' }, 21609],
    ];
    for (const [params, code] of cases) {
      const answer = await send(params);
      expect(answer.status, JSON.stringify(params).slice(0, 60)).toBe(400);
      expect(answer.body).toEqual({
        code,
        message: expect.any(String),
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status: 400,
      });
    }
  });

  it('throttles with 429 code 20429 when asked to, and fails with 500 code 20500 on an injected fault', async () => {
    await server.call('PUT', `/twilio/_control/accounts/${account.accountSid}/throttle`, {
      requestsPerSecond: 1,
    });
    expect((await send({ To: USER, From: NUMBER, Body: '1' })).status).toBe(201);
    const throttled = await send({ To: USER, From: NUMBER, Body: '2' });
    expect(throttled.status).toBe(429);
    expect(throttled.body.code).toBe(20429);
    clock.at += 1000;
    expect((await send({ To: USER, From: NUMBER, Body: '3' })).status).toBe(201);
    await server.call('PUT', `/twilio/_control/accounts/${account.accountSid}/throttle`, {
      requestsPerSecond: null,
    });
    server.sandbox.context.faults.configure('twilio', { errorRate: 1 });
    expect((await send({ To: USER, From: NUMBER, Body: '4' })).body).toMatchObject({
      code: 20500,
      status: 500,
    });
  });
});

describe('Twilio sandbox: status callbacks', () => {
  it('posts queued, sent and delivered, signed so that twilio-node’s validateRequest accepts them', async () => {
    const callback = `${receiver.url}/status?heraldMessageId=01jdsandboxtest`;
    const { body } = await send({ To: USER, From: NUMBER, Body: 'Track me', StatusCallback: callback });
    await eventually(() => (receiver.received.length >= 3 ? true : undefined), 'three callbacks');
    const statuses = receiver.received.map((r) => {
      expect(r.url).toBe(callback);
      const params = formOf(r.rawBody);
      expect(
        twilio.validateRequest(account.authToken, String(r.headers['x-twilio-signature']), r.url, params),
      ).toBe(true);
      expect(
        twilio.validateRequest(
          'another-auth-token-000000',
          String(r.headers['x-twilio-signature']),
          r.url,
          params,
        ),
      ).toBe(false);
      expect(params).toMatchObject({
        MessageSid: body.sid,
        SmsSid: body.sid,
        AccountSid: account.accountSid,
        From: NUMBER,
        To: USER,
        ApiVersion: '2010-04-01',
      });
      expect(params.SmsStatus).toBe(params.MessageStatus);
      return params;
    });
    expect(statuses.map((p) => p.MessageStatus).sort()).toEqual(['delivered', 'queued', 'sent']);
    expect(statuses.find((p) => p.MessageStatus === 'delivered')?.RawDlrDoneDate).toMatch(/^\d{10}$/);

    // GET shows the status of the moment, by the sandbox's clock.
    const path = `/twilio/2010-04-01/Accounts/${account.accountSid}/Messages/${body.sid}.json`;
    const auth = basic(account.accountSid, account.authToken);
    expect((await server.call('GET', path, undefined, auth)).body.status).toBe('queued');
    clock.at += 20;
    expect((await server.call('GET', path, undefined, auth)).body.status).toBe('delivered');
  });

  it('follows scripted outcomes: failed skips sent, undelivered carries its ErrorCode', async () => {
    await server.call('PUT', `/twilio/_control/accounts/${account.accountSid}/outcomes`, {
      to: USER,
      status: 'failed',
      errorCode: 30007,
    });
    await server.call('PUT', `/twilio/_control/accounts/${account.accountSid}/outcomes`, {
      status: 'undelivered',
    });
    await send({ To: USER, From: NUMBER, Body: 'a', StatusCallback: `${receiver.url}/s1` });
    await send({ To: '+14155550124', From: NUMBER, Body: 'b', StatusCallback: `${receiver.url}/s2` });
    await eventually(() => (receiver.received.length >= 5 ? true : undefined), 'five callbacks');
    await server.sandbox.context.webhooks.idle();
    const byUrl = (suffix: string) =>
      receiver.received.filter((r) => r.url.endsWith(suffix)).map((r) => formOf(r.rawBody));
    expect(
      byUrl('/s1')
        .map((p) => [p.MessageStatus, p.ErrorCode])
        .sort(),
    ).toEqual([
      ['failed', '30007'],
      ['queued', undefined],
    ]);
    expect(
      byUrl('/s2')
        .map((p) => [p.MessageStatus, p.ErrorCode])
        .sort(),
    ).toEqual([
      ['queued', undefined],
      ['sent', undefined],
      ['undelivered', '30003'],
    ]);
  });

  it('queues messages behind a number’s rate', async () => {
    await server.call('POST', `/twilio/_control/accounts/${account.accountSid}/numbers`, {
      phoneNumber: NUMBER,
      messagesPerSecond: 1,
    });
    const auth = basic(account.accountSid, account.authToken);
    const first = (await send({ To: USER, From: NUMBER, Body: '1' })).body.sid;
    const second = (await send({ To: USER, From: NUMBER, Body: '2' })).body.sid;
    const statusOf = async (sid: string) =>
      (
        await server.call(
          'GET',
          `/twilio/2010-04-01/Accounts/${account.accountSid}/Messages/${sid}.json`,
          undefined,
          auth,
        )
      ).body.status;
    clock.at += 20;
    expect([await statusOf(first), await statusOf(second)]).toEqual(['delivered', 'queued']);
    clock.at += 1000;
    expect(await statusOf(second)).toBe('delivered');
  });
});

describe('Twilio sandbox: incoming messages', () => {
  it('posts signed incoming messages to the number’s webhook, and honours STOP and START', async () => {
    const inbound = (body: string) =>
      server.call('POST', `/twilio/_control/accounts/${account.accountSid}/inbound`, {
        from: USER,
        to: NUMBER,
        body,
      });
    await inbound('STOP');
    const stop = await eventually(() => receiver.received[0], 'the STOP webhook');
    const params = formOf(stop.rawBody);
    expect(
      twilio.validateRequest(account.authToken, String(stop.headers['x-twilio-signature']), stop.url, params),
    ).toBe(true);
    expect(params).toMatchObject({
      From: USER,
      To: NUMBER,
      Body: 'STOP',
      SmsStatus: 'received',
      OptOutType: 'STOP',
      NumMedia: '0',
    });

    const blocked = await send({ To: USER, From: NUMBER, Body: 'still there?' });
    expect(blocked.body).toMatchObject({ code: 21610, status: 400 });
    await inbound('start');
    expect((await send({ To: USER, From: NUMBER, Body: 'welcome back' })).status).toBe(201);

    await server.call('POST', `/twilio/_control/accounts/${account.accountSid}/inbound`, {
      from: USER,
      to: NUMBER,
      body: 'photo',
      media: [{ url: 'https://media.example/1.jpg', contentType: 'image/jpeg' }],
    });
    const withMedia = await eventually(
      () => receiver.received.map((r) => formOf(r.rawBody)).find((p) => p.Body === 'photo'),
      'the media webhook',
    );
    expect(withMedia).toMatchObject({
      NumMedia: '1',
      MediaUrl0: 'https://media.example/1.jpg',
      MediaContentType0: 'image/jpeg',
    });
  });
});
