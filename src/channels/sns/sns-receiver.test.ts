import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { SANDBOX_SNS_SIGNING_CERT_PEM } from '../../sandbox/sns/sandbox-sns-key-material.js';
import { SnsReceiver } from './sns-receiver.js';
import { signSns } from './test-support/sign-sns.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:herald-events';
const http = createHttpPools();
let server: FastifyInstance;
let base = '';
let certHits = 0;
let certFailuresLeft = 0;
let confirmations: Record<string, string>[] = [];

beforeAll(async () => {
  server = Fastify();
  server.get('/SimpleNotificationService-test.pem', async (_request, reply) => {
    certHits += 1;
    if (certFailuresLeft > 0) {
      certFailuresLeft -= 1;
      return reply.code(503).send('unavailable');
    }
    return reply.type('application/x-pem-file').send(SANDBOX_SNS_SIGNING_CERT_PEM);
  });
  server.get('/confirm', async (request) => {
    confirmations.push(request.query as Record<string, string>);
    return '<ConfirmSubscriptionResponse/>';
  });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server.close();
  await http.close();
});

beforeEach(() => {
  certHits = 0;
  certFailuresLeft = 0;
  confirmations = [];
});

const receiver = (options: { topicArn?: string; allowedHosts?: string[] } = {}) =>
  new SnsReceiver({
    http,
    allowedHosts: options.allowedHosts ?? ['127.0.0.1'],
    timeoutMs: 1_000,
    ...options,
  });

function notification(message = '{"hello":"world"}', extra: Record<string, string> = {}) {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: TOPIC,
    Message: message,
    Timestamp: '2026-11-21T10:00:00.000Z',
    ...extra,
  };
}

function request(body: unknown, headers: Record<string, string> = {}): WebhookRequest {
  const parsed = body as { Type?: string };
  return {
    method: 'POST',
    url: 'https://herald.example/webhooks/a/c',
    query: {},
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      ...(parsed.Type ? { 'x-amz-sns-message-type': parsed.Type } : {}),
      ...headers,
    },
    rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

const certUrl = () => `${base}/SimpleNotificationService-test.pem`;

describe('SNS receiver: signatures', () => {
  it('accepts SignatureVersion 1 and 2 and hands back the notification, with and without a Subject', async () => {
    const sns = receiver();
    const v1 = signSns(notification('{"a":1}'), { certUrl: certUrl(), version: '1' });
    expect(await sns.receive(request(v1))).toEqual({
      kind: 'notification',
      messageId: v1.MessageId,
      topicArn: TOPIC,
      message: '{"a":1}',
      timestamp: '2026-11-21T10:00:00.000Z',
    });
    const v2 = signSns(notification('{"a":2}', { Subject: 'Status' }), { certUrl: certUrl(), version: '2' });
    expect(await sns.receive(request(v2))).toMatchObject({ kind: 'notification', message: '{"a":2}' });
  });

  it('rejects a changed message, subject, timestamp or signature, and an unknown version', async () => {
    const sns = receiver();
    const signed = signSns(notification('{"amount":10}', { Subject: 'S' }), { certUrl: certUrl() });
    for (const tampered of [
      { ...signed, Message: '{"amount":99}' },
      { ...signed, Subject: 'T' },
      { ...signed, Timestamp: '2026-11-21T10:00:01.000Z' },
      { ...signed, MessageId: randomUUID() },
      { ...signed, Signature: signSns(notification('other'), { certUrl: certUrl() }).Signature as string },
    ]) {
      expect(await sns.receive(request(tampered))).toMatchObject({ kind: 'rejected', status: 401 });
    }
    expect(await sns.receive(request({ ...signed, SignatureVersion: '3' }))).toMatchObject({
      kind: 'rejected',
      status: 401,
      reason: expect.stringContaining('SignatureVersion'),
    });
  });

  it('refuses certificate URLs outside the allow-list, over http for glob hosts, and non-.pem paths, without fetching', async () => {
    const sns = receiver({ allowedHosts: ['sns.*.amazonaws.com', '127.0.0.1'] });
    for (const url of [
      'https://attacker.example/SimpleNotificationService-x.pem',
      'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      `${base}/cert.txt`,
    ]) {
      const verdict = await sns.receive(request(signSns(notification(), { certUrl: url })));
      expect(verdict, url).toMatchObject({
        kind: 'rejected',
        status: 401,
        reason: expect.stringContaining('SigningCertURL'),
      });
    }
    expect(certHits).toBe(0);
  });

  it('caches the certificate, but not a failed fetch', async () => {
    const sns = receiver();
    certFailuresLeft = 1;
    const first = await sns.receive(request(signSns(notification(), { certUrl: certUrl() })));
    expect(first).toMatchObject({
      kind: 'rejected',
      status: 401,
      reason: expect.stringContaining('certificate'),
    });
    for (let i = 0; i < 3; i++) {
      expect(await sns.receive(request(signSns(notification(), { certUrl: certUrl() })))).toMatchObject({
        kind: 'notification',
      });
    }
    expect(certHits).toBe(2);
  });

  it('refuses a message from another topic than the channel’s (403), and malformed bodies (400)', async () => {
    const sns = receiver({ topicArn: 'arn:aws:sns:us-east-1:123456789012:other' });
    expect(await sns.receive(request(signSns(notification(), { certUrl: certUrl() })))).toMatchObject({
      kind: 'rejected',
      status: 403,
    });
    const open = receiver();
    expect(await open.receive(request('not json'))).toMatchObject({ status: 400 });
    expect(await open.receive(request({ Type: 'Notification' }))).toMatchObject({ status: 400 });
    const signed = signSns(notification(), { certUrl: certUrl() });
    expect(
      await open.receive(request(signed, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' })),
    ).toMatchObject({
      status: 400,
    });
    expect(await open.receive({ ...request(signed), method: 'GET' })).toMatchObject({ status: 400 });
  });
});

describe('SNS receiver: subscriptions', () => {
  const confirmation = (subscribeUrl: string) =>
    signSns(
      {
        Type: 'SubscriptionConfirmation',
        MessageId: randomUUID(),
        Token: 'token-123',
        TopicArn: TOPIC,
        Message: 'You have chosen to subscribe to the topic.',
        SubscribeURL: subscribeUrl,
        Timestamp: '2026-11-21T10:00:00.000Z',
      },
      { certUrl: certUrl() },
    );

  it('confirms a signed subscription by calling SubscribeURL', async () => {
    const verdict = await receiver().receive(
      request(confirmation(`${base}/confirm?Action=ConfirmSubscription&Token=token-123`)),
    );
    expect(verdict).toEqual({ kind: 'subscription-confirmed', topicArn: TOPIC });
    expect(confirmations).toEqual([{ Action: 'ConfirmSubscription', Token: 'token-123' }]);
  });

  it('never calls a SubscribeURL outside the allow-list, nor one in a tampered message', async () => {
    const outside = await receiver().receive(request(confirmation('https://attacker.example/confirm')));
    expect(outside).toMatchObject({
      kind: 'rejected',
      status: 400,
      reason: expect.stringContaining('allow-list'),
    });
    const signed = confirmation(`${base}/confirm?Token=token-123`);
    const tampered = await receiver().receive(
      request({ ...signed, SubscribeURL: `${base}/confirm?Token=evil` }),
    );
    expect(tampered).toMatchObject({ kind: 'rejected', status: 401 });
    expect(confirmations).toEqual([]);
  });
});
