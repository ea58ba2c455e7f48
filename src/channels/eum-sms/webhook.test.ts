import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { SANDBOX_SNS_SIGNING_CERT_PEM } from '../../sandbox/sns/sandbox-sns-key-material.js';
import { SnsReceiver } from '../sns/sns-receiver.js';
import { signSns } from '../sns/test-support/sign-sns.js';
import { smsEventStatus } from './sms-event-status.js';
import { eumSmsWebhook } from './webhook.js';

const http = createHttpPools();
let server: FastifyInstance;
let certUrl = '';

beforeAll(async () => {
  server = Fastify();
  server.get('/SimpleNotificationService-test.pem', async () => SANDBOX_SNS_SIGNING_CERT_PEM);
  certUrl = `${await server.listen({ host: '127.0.0.1', port: 0 })}/SimpleNotificationService-test.pem`;
});

afterAll(async () => {
  await server.close();
  await http.close();
});

const sns = new SnsReceiver({ http, allowedHosts: ['127.0.0.1'] });
const settings = { sns, originationIdentity: '+12065550152', now: () => 42 };

function delivery(message: unknown): WebhookRequest {
  const body = signSns(
    {
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:sms-events',
      Message: typeof message === 'string' ? message : JSON.stringify(message),
      Timestamp: '2026-11-21T10:00:00.000Z',
    },
    { certUrl, version: '2' },
  );
  return {
    method: 'POST',
    url: 'https://herald.example/webhooks/a/sms',
    query: {},
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    rawBody: Buffer.from(JSON.stringify(body)),
  };
}

/** The "SMS example log" event of provider-facts §3.2. */
const example = {
  eventType: 'TEXT_SUCCESSFUL',
  eventVersion: '1.0',
  eventTimestamp: 1686975103470,
  isFinal: true,
  originationPhoneNumber: '+12065550152',
  destinationPhoneNumber: '+14255550156',
  isInternationalSend: false,
  isoCountryCode: 'US',
  messageId: '862a8790-60c0-4430-9b2b-658bdexample',
  messageRequestTimestamp: 1686975103170,
  messageEncoding: 'GSM',
  messageType: 'PROMOTIONAL',
  messageStatus: 'SUCCESSFUL',
  messageStatusDescription: 'Message has been accepted by phone carrier',
  context: { heraldMessageId: 'msg_01' },
  totalMessageParts: 1,
  totalMessagePrice: 0.09582,
  totalCarrierFee: 0.0,
};

describe('End User Messaging SMS events', () => {
  it('maps the documented example to a delivered status with Herald’s message id', async () => {
    expect(await eumSmsWebhook(delivery(example), settings)).toEqual({
      accepted: true,
      events: [
        {
          type: 'status',
          eventId: '862a8790-60c0-4430-9b2b-658bdexample:TEXT_SUCCESSFUL',
          occurredAt: 1686975103470,
          providerMessageId: '862a8790-60c0-4430-9b2b-658bdexample',
          status: 'delivered',
          callbackData: 'msg_01',
        },
      ],
    });
  });

  it('maps every event type as documented', () => {
    const table: [string, boolean, string | undefined][] = [
      ['TEXT_DELIVERED', true, 'delivered'],
      ['TEXT_SUCCESSFUL', true, 'delivered'],
      // Accepted by the carrier, which may still fail it.
      ['TEXT_SUCCESSFUL', false, 'sent'],
      ['TEXT_PENDING', false, 'sent'],
      ['TEXT_QUEUED', false, 'sent'],
      ['TEXT_BLOCKED', true, 'failed'],
      ['TEXT_CARRIER_BLOCKED', true, 'failed'],
      ['TEXT_PROTECT_BLOCKED', true, 'failed'],
      ['TEXT_SPAM', true, 'failed'],
      ['TEXT_INVALID', true, 'failed'],
      ['TEXT_INVALID_MESSAGE', true, 'failed'],
      ['TEXT_UNREACHABLE', true, 'failed'],
      ['TEXT_CARRIER_UNREACHABLE', true, 'failed'],
      ['TEXT_TTL_EXPIRED', true, 'failed'],
      ['TEXT_UNKNOWN', true, 'failed'],
      ['TEXT_SOMETHING_NEW', true, 'failed'],
      ['TEXT_SOMETHING_NEW', false, 'sent'],
      ['VOICE_COMPLETED', true, undefined],
      ['MEDIA_DELIVERED', true, undefined],
    ];
    for (const [type, isFinal, status] of table) expect(smsEventStatus(type, isFinal), type).toBe(status);
  });

  it('carries the event type as the error code of a failure', async () => {
    const blocked = {
      ...example,
      eventType: 'TEXT_BLOCKED',
      messageStatus: 'BLOCKED',
      messageStatusDescription: 'Blocked',
    };
    expect(await eumSmsWebhook(delivery(blocked), settings)).toMatchObject({
      accepted: true,
      events: [
        { status: 'failed', error: { code: 'TEXT_BLOCKED', message: 'Blocked' }, callbackData: 'msg_01' },
      ],
    });
  });

  it('accepts voice and MMS events of a shared configuration set without events', async () => {
    expect(await eumSmsWebhook(delivery({ ...example, eventType: 'VOICE_COMPLETED' }), settings)).toEqual({
      accepted: true,
      events: [],
    });
  });

  it('parses a two-way SMS to this number, and skips those to other numbers', async () => {
    const inbound = {
      originationNumber: '+14255550156',
      destinationNumber: '+12065550152',
      messageKeyword: 'STOP',
      messageBody: 'STOP please',
      inboundMessageId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
      previousPublishedMessageId: 'wJ0vr8mfe0nvq1sds',
    };
    expect(await eumSmsWebhook(delivery(inbound), settings)).toEqual({
      accepted: true,
      events: [
        {
          type: 'message',
          eventId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
          occurredAt: 42,
          from: '+14255550156',
          providerMessageId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
          content: { kind: 'text', text: 'STOP please' },
        },
      ],
    });
    expect(
      await eumSmsWebhook(delivery({ ...inbound, destinationNumber: '+12065550999' }), settings),
    ).toEqual({ accepted: true, events: [] });
    const byPool = await eumSmsWebhook(delivery({ ...inbound, destinationNumber: '+12065550999' }), {
      ...settings,
      originationIdentity: 'pool-123',
    });
    expect(byPool.accepted && byPool.events).toHaveLength(1);
  });

  it('answers 400 for messages it cannot read and 401 for a broken signature', async () => {
    expect(await eumSmsWebhook(delivery('not json'), settings)).toMatchObject({
      accepted: false,
      status: 400,
    });
    expect(await eumSmsWebhook(delivery({ hello: 'world' }), settings)).toMatchObject({
      accepted: false,
      status: 400,
    });
    const request = delivery(example);
    const tampered = Buffer.from(
      request.rawBody.toString('utf8').replace('TEXT_SUCCESSFUL', 'TEXT_DELIVERED'),
    );
    expect(await eumSmsWebhook({ ...request, rawBody: tampered }, settings)).toMatchObject({
      accepted: false,
      status: 401,
    });
  });
});
