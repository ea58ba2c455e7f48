import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { SANDBOX_SNS_SIGNING_CERT_PEM } from '../../sandbox/sns/sandbox-sns-key-material.js';
import { SnsReceiver } from '../sns/sns-receiver.js';
import { signSns } from '../sns/test-support/sign-sns.js';
import { eumSocialWebhook } from './webhook.js';

/** A copy of /work/shared/fixtures/eum-social/sns-inbound-message.json: the SNS `Message` AWS publishes. */
const fixture = fs.readFileSync(new URL('./test-support/sns-inbound-message.json', import.meta.url), 'utf8');
const entry = JSON.parse(JSON.parse(fixture).whatsAppWebhookEntry) as {
  changes: { value: Record<string, unknown> }[];
};

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

function delivery(message: string): WebhookRequest {
  const body = signSns(
    {
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:whatsapp',
      Message: message,
      Timestamp: '2025-11-11T02:24:28.600Z',
    },
    { certUrl },
  );
  return {
    method: 'POST',
    url: 'https://herald.example/webhooks/a/c',
    query: {},
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    rawBody: Buffer.from(JSON.stringify(body)),
  };
}

const sns = new SnsReceiver({ http, allowedHosts: ['127.0.0.1'] });

describe('End User Messaging Social webhook', () => {
  it('unwraps the fixture (SNS -> AWS envelope -> Meta entry as a string) into the inbound message', async () => {
    expect(await eumSocialWebhook(delivery(fixture), { sns, now: () => 0 })).toEqual({
      accepted: true,
      events: [
        {
          type: 'message',
          eventId: 'wamid.HBgLMTQxNTc0NzAyNjUVAgASGBQzQjM4REI5MzM5RUNCM0FDMzE0RQA=',
          providerMessageId: 'wamid.HBgLMTQxNTc0NzAyNjUVAgASGBQzQjM4REI5MzM5RUNCM0FDMzE0RQA=',
          occurredAt: 1762827867000,
          from: '+15550100001',
          profileName: 'Kim',
          content: { kind: 'text', text: 'BB' },
        },
      ],
    });
  });

  it('keeps the channel’s number and skips the WABA’s other numbers', async () => {
    const own = await eumSocialWebhook(delivery(fixture), {
      sns,
      metaPhoneNumberId: '503650672828631',
      now: () => 0,
    });
    expect(own.accepted && own.events).toHaveLength(1);
    expect(
      await eumSocialWebhook(delivery(fixture), { sns, metaPhoneNumberId: '999', now: () => 0 }),
    ).toEqual({
      accepted: true,
      events: [],
    });
  });

  it('parses statuses in the same envelope, with callback data', async () => {
    const statusEntry = {
      id: '509609192225796',
      changes: [
        {
          field: 'messages',
          value: {
            ...entry.changes[0]?.value,
            messages: undefined,
            statuses: [
              {
                id: 'wamid.S',
                status: 'delivered',
                timestamp: '1762827900',
                recipient_id: '15550100001',
                biz_opaque_callback_data: 'msg_1',
              },
            ],
          },
        },
      ],
    };
    const message = JSON.stringify({
      ...JSON.parse(fixture),
      whatsAppWebhookEntry: JSON.stringify(statusEntry),
    });
    expect(await eumSocialWebhook(delivery(message), { sns, now: () => 0 })).toMatchObject({
      accepted: true,
      events: [{ type: 'status', eventId: 'wamid.S:delivered', status: 'delivered', callbackData: 'msg_1' }],
    });
  });

  it('answers 400 for a signed SNS message that is not an End User Messaging Social event', async () => {
    for (const message of [
      '{"eventType":"TEXT_DELIVERED"}',
      'not json',
      '{"whatsAppWebhookEntry":"{broken"}',
    ]) {
      expect(await eumSocialWebhook(delivery(message), { sns, now: () => 0 })).toMatchObject({
        accepted: false,
        status: 400,
      });
    }
  });

  it('answers 401 when the SNS signature does not hold', async () => {
    const request = delivery(fixture);
    const tampered = Buffer.from(request.rawBody.toString('utf8').replace('BB', 'CC'));
    expect(await eumSocialWebhook({ ...request, rawBody: tampered }, { sns, now: () => 0 })).toMatchObject({
      accepted: false,
      status: 401,
    });
  });
});
