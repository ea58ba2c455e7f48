import {
  DescribeAccountAttributesCommand,
  DescribePhoneNumbersCommand,
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  type SendTextMessageCommandInput,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonRequest } from '../../../test/helpers/json-request.js';
import { type SnsReceipt, SnsReceiver } from '../../channels/sns/sns-receiver.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from '../create-sandbox.js';
import { createEumSmsSandbox } from './eum-sms-sandbox.js';

interface Account {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  originationNumber: string;
  phoneNumberId: string;
  phoneNumberArn: string;
  configurationSetName: string;
  topicArn: string;
}

interface SmsEvent {
  eventType: string;
  isFinal: boolean;
  messageId: string;
  messageStatus: string;
  context?: Record<string, string>;
  originationPhoneNumber: string;
  destinationPhoneNumber: string;
  totalMessageParts: number;
  messageEncoding: string;
}

const http = createHttpPools();
let now = Date.now();
let sandbox: Sandbox;
let server: FastifyInstance;
let receiver: FastifyInstance;
let base = '';
let hookUrl = '';
const receipts: SnsReceipt[] = [];
const sns = new SnsReceiver({ http, allowedHosts: ['127.0.0.1'] });

beforeAll(async () => {
  let url = '';
  sandbox = createSandbox({
    clock: { now: () => now },
    http,
    publicUrl: () => url,
    providers: [createEumSmsSandbox],
  });
  sandbox.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 2, retryBaseMs: 10, maxAttempts: 3 });
  server = Fastify();
  await server.register(sandbox.plugin);
  url = await server.listen({ host: '127.0.0.1', port: 0 });
  base = `${url}/eum-sms`;
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
    receipts.push(receipt);
    return reply.code(receipt.kind === 'rejected' ? receipt.status : 200).send();
  });
  hookUrl = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/sns`;
});

afterAll(async () => {
  sandbox.close();
  await server.close();
  await http.close();
  await receiver.close();
});

beforeEach(() => {
  now = Date.now();
  sandbox.context.faults.reset();
});

async function provision(extra: Record<string, unknown> = {}): Promise<Account> {
  const created = await jsonRequest(`${base}/_control/accounts`, { body: { webhookUrl: hookUrl, ...extra } });
  expect(created.status, created.text).toBe(201);
  return created.json as Account;
}

const client = (account: Account) =>
  new PinpointSMSVoiceV2Client({
    region: account.region,
    endpoint: base,
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    maxAttempts: 1,
  });

function send(account: Account, input: Partial<SendTextMessageCommandInput> = {}) {
  return client(account).send(
    new SendTextMessageCommand({
      DestinationPhoneNumber: '+14255550100',
      OriginationIdentity: account.originationNumber,
      MessageBody: 'Your code is 1234',
      ConfigurationSetName: account.configurationSetName,
      ...input,
    }),
  );
}

function eventsOf(messageId: string): SmsEvent[] {
  return receipts.flatMap((r) => {
    if (r.kind !== 'notification') return [];
    const event = JSON.parse(r.message) as SmsEvent;
    return event.messageId === messageId ? [event] : [];
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

async function finalEvents(messageId: string): Promise<SmsEvent[]> {
  return eventually(() => {
    const events = eventsOf(messageId);
    return events.some((e) => e.isFinal)
      ? events.sort((a, b) => (a.isFinal ? 1 : 0) - (b.isFinal ? 1 : 0))
      : undefined;
  }, `the final event of ${messageId}`);
}

async function thrown(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('End User Messaging SMS sandbox: sending', () => {
  it('sends through PinpointSMSVoiceV2Client and reports PENDING -> SUCCESSFUL -> DELIVERED with Context echoed', async () => {
    const account = await provision();
    const output = await send(account, {
      Context: { heraldMessageId: 'msg_sms_1' },
      MessageType: 'TRANSACTIONAL',
    });
    expect(output.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const events = await finalEvents(output.MessageId as string);
    expect(events.map((e) => [e.eventType, e.isFinal])).toEqual([
      ['TEXT_PENDING', false],
      ['TEXT_SUCCESSFUL', false],
      ['TEXT_DELIVERED', true],
    ]);
    expect(events[2]).toMatchObject({
      messageStatus: 'DELIVERED',
      context: { heraldMessageId: 'msg_sms_1' },
      originationPhoneNumber: account.originationNumber,
      destinationPhoneNumber: '+14255550100',
      totalMessageParts: 1,
      messageEncoding: 'GSM',
    });
    expect(receipts.filter((r) => r.kind === 'rejected')).toEqual([]);
    expect(sandbox.context.counters.snapshot().recipients).toContainEqual(
      expect.objectContaining({
        provider: 'eum-sms',
        account: account.originationNumber,
        recipient: '+14255550100',
      }),
    );
  });

  it('accepts the origination identity as number, id or ARN, counts message parts, and honours DryRun', async () => {
    const account = await provision();
    for (const identity of [account.phoneNumberId, account.phoneNumberArn]) {
      expect((await send(account, { OriginationIdentity: identity })).MessageId).toBeDefined();
    }
    const long = await send(account, { MessageBody: 'Ж'.repeat(71) });
    const [pending] = await eventually(() => {
      const events = eventsOf(long.MessageId as string);
      return events.length > 0 ? events : undefined;
    }, 'a long message event');
    expect(pending).toMatchObject({ messageEncoding: 'UCS2', totalMessageParts: 2 });
    const before = sandbox.context.counters.totals().total;
    expect((await send(account, { DryRun: true })).MessageId).toBeDefined();
    expect(sandbox.context.counters.totals().total).toBe(before);
  });

  it('answers DescribeAccountAttributes and refuses operations it does not emulate', async () => {
    const account = await provision();
    const attributes = await client(account).send(new DescribeAccountAttributesCommand({}));
    expect(attributes.AccountAttributes).toEqual([{ Name: 'ACCOUNT_TIER', Value: 'SANDBOX' }]);
    expect((await thrown(client(account).send(new DescribePhoneNumbersCommand({})))).name).toBe(
      'UnknownOperationException',
    );
  });
});

describe('End User Messaging SMS sandbox: errors', () => {
  it('validates fields with ValidationException and a Reason', async () => {
    const account = await provision();
    const cases: [Partial<SendTextMessageCommandInput>, string, string][] = [
      [{ DestinationPhoneNumber: '0123' }, 'FIELD_VALIDATION_FAILED', 'DestinationPhoneNumber'],
      [{ MessageBody: '   ' }, 'MISSING_PARAMETER', 'MessageBody'],
      [{ MessageBody: 'x'.repeat(1601) }, 'FIELD_VALIDATION_FAILED', 'MessageBody'],
      [{ TimeToLive: 3 }, 'FIELD_VALIDATION_FAILED', 'TimeToLive'],
      [{ MaxPrice: '1' }, 'FIELD_VALIDATION_FAILED', 'MaxPrice'],
      [{ Context: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' } }, 'FIELD_VALIDATION_FAILED', 'Context'],
    ];
    for (const [input, reason, field] of cases) {
      const error = await thrown(send(account, input));
      expect(
        [error.name, error.Reason, (error.Fields as { Name: string }[])[0]?.Name],
        JSON.stringify(input),
      ).toEqual(['ValidationException', reason, field]);
    }
  });

  it('answers ResourceNotFoundException for an unknown origination identity or configuration set', async () => {
    const account = await provision();
    const other = await provision();
    for (const input of [
      { OriginationIdentity: other.originationNumber },
      { ConfigurationSetName: 'nope' },
    ]) {
      expect((await thrown(send(account, input))).name).toBe('ResourceNotFoundException');
    }
  });

  it('refuses opted-out numbers with ConflictException, following STOP and START', async () => {
    const account = await provision();
    const optOut = await jsonRequest(`${base}/_control/opt-outs`, {
      body: { originationNumber: account.originationNumber, phoneNumber: '+14255550100', optedOut: true },
    });
    expect(optOut.status).toBe(200);
    const conflict = await thrown(send(account));
    expect([conflict.name, conflict.Reason]).toEqual([
      'ConflictException',
      'DESTINATION_PHONE_NUMBER_OPTED_OUT',
    ]);
    await jsonRequest(`${base}/_control/inbound`, {
      body: { originationNumber: account.originationNumber, from: '+14255550100', text: 'START' },
    });
    expect((await send(account)).MessageId).toBeDefined();
    await jsonRequest(`${base}/_control/inbound`, {
      body: { originationNumber: account.originationNumber, from: '+14255550100', text: 'stop' },
    });
    expect((await thrown(send(account))).name).toBe('ConflictException');
  });

  it('limits messages per second per origination number with ThrottlingException', async () => {
    const account = await provision({ messagesPerSecond: 2 });
    await send(account);
    await send(account);
    expect((await thrown(send(account))).name).toBe('ThrottlingException');
    now += 1000;
    expect((await send(account)).MessageId).toBeDefined();
  });

  it('turns injected faults into InternalServerException and ThrottlingException', async () => {
    const account = await provision();
    sandbox.context.faults.configure('eum-sms', { errorRate: 1 });
    const error = await thrown(send(account));
    expect([error.name, (error.$metadata as { httpStatusCode: number }).httpStatusCode]).toEqual([
      'InternalServerException',
      500,
    ]);
    sandbox.context.faults.configure('eum-sms', { errorRate: 0, throttleRate: 1 });
    expect((await thrown(send(account))).name).toBe('ThrottlingException');
  });

  it('refuses a request signed with the wrong secret', async () => {
    const account = await provision();
    const wrong = new PinpointSMSVoiceV2Client({
      region: account.region,
      endpoint: base,
      credentials: { accessKeyId: account.accessKeyId, secretAccessKey: 'not-the-secret-at-all' },
      maxAttempts: 1,
    });
    expect((await thrown(wrong.send(new DescribeAccountAttributesCommand({})))).name).toBe(
      'InvalidSignatureException',
    );
  });
});

describe('End User Messaging SMS sandbox: scripted events and two-way SMS', () => {
  it('ends a message with a scripted failure, for one destination or the next messages', async () => {
    const account = await provision();
    for (const eventType of [
      'TEXT_BLOCKED',
      'TEXT_CARRIER_UNREACHABLE',
      'TEXT_INVALID',
      'TEXT_SPAM',
      'TEXT_UNKNOWN',
    ]) {
      const scripted = await jsonRequest(`${base}/_control/outcomes`, {
        body: { originationNumber: account.originationNumber, eventType, destination: '+14255550177' },
      });
      expect(scripted.status).toBe(200);
      const output = await send(account, {
        DestinationPhoneNumber: '+14255550177',
        Context: { k: eventType },
      });
      const events = await finalEvents(output.MessageId as string);
      expect(events.map((e) => [e.eventType, e.isFinal])).toEqual([
        ['TEXT_PENDING', false],
        [eventType, true],
      ]);
      expect(events[1]?.context).toEqual({ k: eventType });
    }
    const unaffected = await send(account, { DestinationPhoneNumber: '+14255550178' });
    expect((await finalEvents(unaffected.MessageId as string)).at(-1)?.eventType).toBe('TEXT_DELIVERED');
  });

  it('expires a message whose TimeToLive is shorter than the carrier hand-off', async () => {
    const account = await provision();
    await jsonRequest(`${base}/_control/accounts/${encodeURIComponent(account.originationNumber)}/settings`, {
      method: 'PUT',
      body: { handoffDelaySeconds: 600 },
    });
    const short = await send(account, { TimeToLive: 300 });
    expect((await finalEvents(short.MessageId as string)).at(-1)?.eventType).toBe('TEXT_TTL_EXPIRED');
    const long = await send(account, { TimeToLive: 3600 });
    expect((await finalEvents(long.MessageId as string)).at(-1)?.eventType).toBe('TEXT_DELIVERED');
  });

  it('publishes two-way messages to the topic', async () => {
    const account = await provision();
    const sent = await send(account, { DestinationPhoneNumber: '+14255550199' });
    const inbound = await jsonRequest(`${base}/_control/inbound`, {
      body: { originationNumber: account.originationNumber, from: '+14255550199', text: 'Yes please' },
    });
    const id = (inbound.json as { inboundMessageId: string }).inboundMessageId;
    const message = await eventually(
      () =>
        receipts
          .flatMap((r) =>
            r.kind === 'notification' ? [JSON.parse(r.message) as Record<string, unknown>] : [],
          )
          .find((m) => m.inboundMessageId === id),
      'the two-way message',
    );
    expect(message).toEqual({
      originationNumber: '+14255550199',
      destinationNumber: account.originationNumber,
      messageKeyword: 'YES',
      messageBody: 'Yes please',
      inboundMessageId: id,
      previousPublishedMessageId: sent.MessageId,
    });
  });
});
