import {
  GetLinkedWhatsAppBusinessAccountPhoneNumberCommand,
  SendWhatsAppMessageCommand,
  SocialMessagingClient,
} from '@aws-sdk/client-socialmessaging';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonRequest } from '../../../test/helpers/json-request.js';
import { type SnsReceipt, SnsReceiver } from '../../channels/sns/sns-receiver.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from '../create-sandbox.js';
import { createEumSocialSandbox } from './eum-social-sandbox.js';

interface Phone {
  originationPhoneNumberId: string;
  arn: string;
  metaPhoneNumberId: string;
  wabaId: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  awsAccountId: string;
  topicArn: string;
}

const http = createHttpPools();
let clockOffset = 0;
let sandbox: Sandbox;
let server: FastifyInstance;
let receiver: FastifyInstance;
let base = '';
let hookUrl = '';
const receipts: { type: string | undefined; receipt: SnsReceipt }[] = [];
const sns = new SnsReceiver({ http, allowedHosts: ['127.0.0.1'] });

beforeAll(async () => {
  let url = '';
  sandbox = createSandbox({
    clock: { now: () => Date.now() + clockOffset },
    http,
    publicUrl: () => url,
    providers: [createEumSocialSandbox],
  });
  sandbox.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 2, retryBaseMs: 10, maxAttempts: 3 });
  server = Fastify();
  await server.register(sandbox.plugin);
  url = await server.listen({ host: '127.0.0.1', port: 0 });
  base = `${url}/eum-social`;

  receiver = Fastify();
  receiver.removeAllContentTypeParsers();
  receiver.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
  receiver.post('/sns', async (request, reply) => {
    const receipt = await sns.receive({
      method: 'POST',
      url: request.url,
      query: {},
      headers: request.headers as Record<string, string>,
      rawBody: request.body as Buffer,
    });
    receipts.push({ type: request.headers['x-amz-sns-message-type'] as string | undefined, receipt });
    return reply.code(receipt.kind === 'rejected' ? receipt.status : 200).send();
  });
  hookUrl = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/sns`;
});

afterAll(async () => {
  sandbox.close();
  await server.close();
  // The pool first: it waits for deliveries still in flight, which would otherwise keep the receiver's
  // keep-alive connections open after its close().
  await http.close();
  await receiver.close();
});

beforeEach(() => {
  clockOffset = 0;
  sandbox.context.faults.reset();
});

async function provision(extra: Record<string, unknown> = {}): Promise<Phone> {
  const created = await jsonRequest(`${base}/_control/accounts`, { body: { webhookUrl: hookUrl, ...extra } });
  expect(created.status, created.text).toBe(201);
  return created.json as Phone;
}

function client(phone: Phone, secretAccessKey = phone.secretAccessKey, accessKeyId = phone.accessKeyId) {
  return new SocialMessagingClient({
    region: phone.region,
    endpoint: base,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

const meta = (to: string, extra: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({ messaging_product: 'whatsapp', to, type: 'text', text: { body: 'hi' }, ...extra }),
  );

async function inbound(phone: Phone, from: string, text = 'hello') {
  const answer = await jsonRequest(`${base}/_control/inbound`, {
    body: { phoneNumberId: phone.metaPhoneNumberId, from, text },
  });
  expect(answer.status).toBe(200);
  return (answer.json as { id: string }).id;
}

/** The AWS envelopes (and the Meta entries inside) the receiver verified for this topic. */
function events(topicArn: string) {
  return receipts.flatMap(({ receipt }) => {
    if (receipt.kind !== 'notification' || receipt.topicArn !== topicArn) return [];
    const envelope = JSON.parse(receipt.message) as Record<string, unknown> & {
      whatsAppWebhookEntry: string;
    };
    return [
      {
        envelope,
        entry: JSON.parse(envelope.whatsAppWebhookEntry) as {
          id: string;
          changes: { value: Record<string, unknown> }[];
        },
      },
    ];
  });
}

async function eventually<T>(find: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function thrown(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('End User Messaging Social sandbox over SNS', () => {
  it('confirms the subscription first, then delivers signed notifications in AWS’s envelope (SignatureVersion 1 and 2)', async () => {
    for (const signatureVersion of ['1', '2'] as const) {
      const phone = await provision({ signatureVersion });
      const id = await inbound(phone, '+15551110001', `version ${signatureVersion}`);
      const found = await eventually(
        () => events(phone.topicArn).find((e) => JSON.stringify(e.entry).includes(id)),
        'the inbound notification',
      );
      const ofTopic = receipts.filter(
        (r) =>
          r.receipt.kind !== 'rejected' && 'topicArn' in r.receipt && r.receipt.topicArn === phone.topicArn,
      );
      expect(ofTopic[0]?.receipt.kind).toBe('subscription-confirmed');
      expect(found.envelope).toMatchObject({
        context: {
          MetaWabaIds: [
            { wabaId: phone.wabaId, arn: expect.stringMatching(/^arn:aws:social-messaging:.*:waba\//) },
          ],
          MetaPhoneNumberIds: [{ metaPhoneNumberId: phone.metaPhoneNumberId, arn: phone.arn }],
        },
        aws_account_id: phone.awsAccountId,
        message_timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
        messageId: expect.any(String),
      });
      expect(found.entry.id).toBe(phone.wabaId);
      expect(found.entry.changes[0]?.value.metadata).toEqual({
        display_phone_number: expect.any(String),
        phone_number_id: phone.metaPhoneNumberId,
      });
    }
    expect(receipts.filter((r) => r.receipt.kind === 'rejected')).toEqual([]);
  });

  it('sends through SocialMessagingClient and reports sent/delivered/read with the callback data', async () => {
    const phone = await provision();
    await inbound(phone, '+15551110002');
    const output = await client(phone).send(
      new SendWhatsAppMessageCommand({
        originationPhoneNumberId: phone.originationPhoneNumberId,
        message: meta('+15551110002', { biz_opaque_callback_data: 'msg_aws_1' }),
        metaApiVersion: 'v20.0',
      }),
    );
    expect(output.messageId).toMatch(/^wamid\./);
    const statuses = await eventually(() => {
      const found = events(phone.topicArn)
        .flatMap(
          (e) =>
            (e.entry.changes[0]?.value.statuses as
              | { id: string; status: string; biz_opaque_callback_data?: string }[]
              | undefined) ?? [],
        )
        .filter((s) => s.id === output.messageId);
      return found.length === 3 ? found : undefined;
    }, 'three statuses');
    expect(statuses.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    expect(statuses.every((s) => s.biz_opaque_callback_data === 'msg_aws_1')).toBe(true);
    const byArn = await client(phone).send(
      new SendWhatsAppMessageCommand({
        originationPhoneNumberId: phone.arn,
        message: meta('+15551110002'),
        metaApiVersion: 'v20.0',
      }),
    );
    expect(byArn.messageId).toMatch(/^wamid\./);
  });

  it('answers the phone-number details call', async () => {
    const phone = await provision();
    const details = await client(phone).send(
      new GetLinkedWhatsAppBusinessAccountPhoneNumberCommand({ id: phone.originationPhoneNumberId }),
    );
    expect(details.phoneNumber).toMatchObject({
      phoneNumberId: phone.originationPhoneNumberId,
      metaPhoneNumberId: phone.metaPhoneNumberId,
      arn: phone.arn,
    });
  });
});

describe('End User Messaging Social sandbox errors', () => {
  it('checks SigV4: wrong secret, unknown key, and a clock 20 minutes off', async () => {
    const phone = await provision();
    const send = (c: SocialMessagingClient) =>
      c.send(
        new SendWhatsAppMessageCommand({
          originationPhoneNumberId: phone.originationPhoneNumberId,
          message: meta('+15551110003'),
          metaApiVersion: 'v20.0',
        }),
      );
    expect((await thrown(send(client(phone, 'wrong-secret-wrong-secret')))).name).toBe(
      'InvalidSignatureException',
    );
    expect((await thrown(send(client(phone, phone.secretAccessKey, 'AKIAUNKNOWNUNKNOWN')))).name).toBe(
      'UnrecognizedClientException',
    );
    clockOffset = 20 * 60 * 1000;
    const skewed = await thrown(send(client(phone)));
    expect([skewed.name, skewed.message]).toEqual([
      'InvalidSignatureException',
      expect.stringContaining('expired'),
    ]);
  });

  it('maps unknown numbers, bad fields and Meta errors to AWS’s exceptions, with Meta’s code in the message', async () => {
    const phone = await provision({ settings: { pairBurst: 1 } });
    const other = await provision();
    const c = client(phone);
    const send = (originationPhoneNumberId: string, message: Uint8Array) =>
      c.send(new SendWhatsAppMessageCommand({ originationPhoneNumberId, message, metaApiVersion: 'v20.0' }));

    expect((await thrown(send(other.originationPhoneNumberId, meta('+15551110004')))).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await thrown(send('phone-number-id-nope', meta('+15551110004')))).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await thrown(send(phone.originationPhoneNumberId, Buffer.from('not json')))).name).toBe(
      'InvalidParametersException',
    );
    const template = await thrown(
      send(
        phone.originationPhoneNumberId,
        Buffer.from(
          JSON.stringify({
            messaging_product: 'whatsapp',
            to: '+15551110004',
            type: 'template',
            template: { name: 'no_such', language: { code: 'en_US' } },
          }),
        ),
      ),
    );
    expect([template.name, template.message]).toEqual([
      'InvalidParametersException',
      expect.stringContaining('(#132001)'),
    ]);
    const hello = Buffer.from(
      JSON.stringify({
        messaging_product: 'whatsapp',
        to: '+15551110005',
        type: 'template',
        template: { name: 'hello_world', language: { code: 'en_US' } },
      }),
    );
    await send(phone.originationPhoneNumberId, hello);
    const pair = await thrown(send(phone.originationPhoneNumberId, hello));
    expect([pair.name, pair.message]).toEqual([
      'ThrottledRequestException',
      expect.stringContaining('(#131056)'),
    ]);
    expect((pair.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(429);

    const missing = await jsonRequest(`${base}/v1/whatsapp/send`, { body: { metaApiVersion: 'v20.0' } });
    expect(missing.status).toBe(403);
  });

  it('turns injected faults into InternalServiceException and ThrottledRequestException', async () => {
    const phone = await provision();
    const send = () =>
      client(phone).send(
        new SendWhatsAppMessageCommand({
          originationPhoneNumberId: phone.originationPhoneNumberId,
          message: meta('+15551110006'),
          metaApiVersion: 'v20.0',
        }),
      );
    sandbox.context.faults.configure('eum-social', { errorRate: 1 });
    expect((await thrown(send())).name).toBe('InternalServiceException');
    sandbox.context.faults.configure('eum-social', { errorRate: 0, throttleRate: 1 });
    expect((await thrown(send())).name).toBe('ThrottledRequestException');
  });

  it('rejects a SendWhatsAppMessage body without its required fields', async () => {
    const phone = await provision();
    const answer = await thrown(
      client(phone).send(
        new SendWhatsAppMessageCommand({
          originationPhoneNumberId: phone.originationPhoneNumberId,
          metaApiVersion: 'v20.0',
        } as never),
      ),
    );
    expect(answer.name).toBe('ValidationException');
  });
});
