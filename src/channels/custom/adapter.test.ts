import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SandboxServer, startSandboxServer } from '../../../test/helpers/sandbox-server.js';
import { loadConfig } from '../../config/load-config.js';
import type { Endpoint } from '../../domain/endpoint.js';
import type { OutboundMessage } from '../../ports/channel-adapter.js';
import { createLogger } from '../../runtime/create-logger.js';
import { createCustomSandbox } from '../../sandbox/custom/custom-sandbox.js';
import { createTwilioSandbox } from '../../sandbox/twilio/twilio-sandbox.js';
import { CustomChannelAdapter } from './adapter.js';
import { checkDeliveryUri } from './check-delivery-uri.js';
import type { CustomOptions } from './config.js';

const pinpointFixture = JSON.parse(
  fs.readFileSync(new URL('./test-support/custom-channel-event.json', import.meta.url), 'utf8'),
) as { Endpoints: Record<string, Record<string, unknown>> } & Record<string, unknown>;

const CREATED = Date.parse('2026-04-01T01:05:17.267Z');
const clock = { now: () => Date.parse('2026-11-21T10:00:00.000Z') };

function endpoint(id: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    appId: 'app-1',
    id,
    channelType: 'CUSTOM',
    address: `+1415555${id.replace(/\D/g, '').padStart(4, '0').slice(-4)}`,
    endpointStatus: 'ACTIVE',
    optOut: 'NONE',
    attributes: {},
    metrics: {},
    location: {},
    demographic: {},
    cohortId: '7',
    createdAt: CREATED,
    updatedAt: CREATED,
    ...overrides,
  };
}

const campaign = (activityId: string, treatmentId = '0') => ({
  campaignId: 'cmp-spring',
  treatmentId,
  activityId,
  scheduledTime: '2026-11-21T09:00:00.000Z',
});

function campaignMessage(e: Endpoint, activityId: string, data = '{"text":"Hello {name}"}'): OutboundMessage {
  return {
    messageId: `msg-${activityId}-${e.id}`,
    to: e.address,
    content: { kind: 'custom', data },
    attempt: 1,
    endpoint: e,
    campaign: campaign(activityId),
  };
}

let server: SandboxServer;
let receiver: { id: string; deliveryUri: string; accountId: string };

const adapterFor = (
  options: Partial<CustomOptions>,
  extra: { headers?: Record<string, string>; functions?: Record<string, string> } = {},
) =>
  new CustomChannelAdapter(
    {
      sender: { name: 'test' },
      credentials: { headers: extra.headers ?? { authorization: 'Bearer receiver-secret' } },
      options: { timeoutMs: 2_000, ...options } as CustomOptions,
    },
    {
      http: server.http,
      clock,
      logger: createLogger({ level: 'silent' }),
      appId: 'app-1',
      webhookUrl: 'http://127.0.0.1:9/unused',
      customFunctions: extra.functions ?? {},
      snsCertHosts: [],
    },
  );
const batches = async () =>
  (await server.call('GET', `/custom/_control/receivers/${receiver.id}/batches`)).body.items as {
    size: number;
    endpointIds: string[];
    data: string;
    activityId: string;
    treatmentId: string;
    campaignId: string;
    payload: Record<string, unknown> & { Endpoints: Record<string, Record<string, unknown>> };
  }[];

beforeAll(async () => {
  server = await startSandboxServer({ providers: [createCustomSandbox, createTwilioSandbox] });
});
afterAll(() => server.close());
beforeEach(async () => {
  receiver = (
    await server.call('POST', '/custom/_control/receivers', { authorization: 'Bearer receiver-secret' })
  ).body;
});
afterEach(() => server.sandbox.context.faults.reset());

describe('custom channel over HTTP: Pinpoint’s payload', () => {
  it('delivers 120 endpoints of one activity as batches of 50, 50 and 20, one outcome per message', async () => {
    const endpoints = Array.from({ length: 120 }, (_, i) => endpoint(`ep-${String(i).padStart(3, '0')}`));
    const messages = endpoints.map((e) => campaignMessage(e, 'act-1'));
    const before = server.sandbox.context.counters.totals();
    const outcomes = await adapterFor({ deliveryUri: receiver.deliveryUri }).sendBatch(messages);

    expect(outcomes).toEqual(endpoints.map((e) => ({ ok: true, providerMessageId: `act-1:${e.id}` })));
    const received = await batches();
    expect(received.map((b) => b.size)).toEqual([50, 50, 20]);
    expect(received.flatMap((b) => b.endpointIds)).toEqual(endpoints.map((e) => e.id));
    expect(received.every((b) => b.data === '{"text":"Hello {name}"}' && b.activityId === 'act-1')).toBe(
      true,
    );
    const after = server.sandbox.context.counters.totals();
    expect(after.total - before.total).toBe(120);
    expect(after.duplicates).toBe(before.duplicates);
  });

  it('sends Pinpoint’s event shape: the fixture’s fields, PascalCase endpoints mapped from Herald’s', async () => {
    const full = endpoint('1dbcd396df28ac6cf8c1c2b7fexample', {
      channelType: 'SMS',
      address: '+14155550123',
      location: {
        city: 'Seattle',
        country: 'USA',
        latitude: 47.6,
        longitude: -122.3,
        postalCode: '98109',
        region: 'WA',
      },
      demographic: { make: 'OnePlus', platform: 'android', timezone: 'America/Los_Angeles', locale: 'en_US' },
      attributes: { CohortId: ['42'] },
      metrics: { sessions: 12 },
      user: { userId: 'user-123', userAttributes: { FirstName: ['Mary'] } },
      effectiveDate: '2026-04-01T01:05:17.267Z',
    });
    await adapterFor({ deliveryUri: receiver.deliveryUri }).send(campaignMessage(full, 'act-fixture'));
    const [batch] = await batches();
    const payload = batch?.payload;
    expect(Object.keys(payload ?? {}).sort()).toEqual(Object.keys(pinpointFixture).sort());
    expect(payload).toMatchObject({
      Message: {},
      Data: '{"text":"Hello {name}"}',
      ApplicationId: 'app-1',
      CampaignId: 'cmp-spring',
      TreatmentId: '0',
      ActivityId: 'act-fixture',
      ScheduledTime: '2026-11-21T09:00:00.000Z',
    });
    const fixtureEndpoint = pinpointFixture.Endpoints['1dbcd396df28ac6cf8c1c2b7fexample'] ?? {};
    const sent = payload?.Endpoints['1dbcd396df28ac6cf8c1c2b7fexample'] ?? {};
    // Every field of the fixture's endpoint is there, plus User and Metrics (which Pinpoint sends when set).
    expect(Object.keys(sent).sort()).toEqual([...Object.keys(fixtureEndpoint), 'User', 'Metrics'].sort());
    expect(sent).toEqual({
      ChannelType: 'SMS',
      Address: '+14155550123',
      EndpointStatus: 'ACTIVE',
      OptOut: 'NONE',
      Location: {
        City: 'Seattle',
        Country: 'USA',
        Latitude: 47.6,
        Longitude: -122.3,
        PostalCode: '98109',
        Region: 'WA',
      },
      Demographic: { Make: 'OnePlus', Platform: 'android', Timezone: 'America/Los_Angeles', Locale: 'en_US' },
      EffectiveDate: '2026-04-01T01:05:17.267Z',
      Attributes: { CohortId: ['42'] },
      CreationDate: '2026-04-01T01:05:17.267Z',
      User: { UserId: 'user-123', UserAttributes: { FirstName: ['Mary'] } },
      Metrics: { sessions: 12 },
    });
  });

  it('splits by activity and treatment, gives direct sends their own context, and refuses other content', async () => {
    const a = endpoint('ep-a');
    const b = endpoint('ep-b');
    const direct: OutboundMessage = {
      messageId: 'msg-direct',
      to: 'user-42@example.com',
      content: { kind: 'text', text: 'hi' },
      attempt: 1,
    };
    const outcomes = await adapterFor({ deliveryUri: receiver.deliveryUri }).sendBatch([
      campaignMessage(a, 'act-1'),
      { ...campaignMessage(b, 'act-2'), campaign: campaign('act-2', '1') },
      campaignMessage(b, 'act-1'),
      direct,
      { ...direct, messageId: 'msg-template', content: { kind: 'template', name: 't', language: 'en' } },
    ]);
    expect(outcomes.map((o) => (o.ok ? o.providerMessageId : o.failure.code))).toEqual([
      'act-1:ep-a',
      'act-2:ep-b',
      'act-1:ep-b',
      'msg-direct',
      'unsupported_content',
    ]);
    const received = await batches();
    expect(received.map((r) => [r.activityId, r.treatmentId, r.endpointIds])).toEqual([
      ['act-1', '0', ['ep-a', 'ep-b']],
      ['act-2', '1', ['ep-b']],
      ['msg-direct', '0', ['user-42@example.com']],
    ]);
    expect(received[2]?.payload).toMatchObject({
      CampaignId: 'direct',
      Data: 'hi',
      ScheduledTime: '2026-11-21T10:00:00.000Z',
      Endpoints: {
        'user-42@example.com': {
          ChannelType: 'CUSTOM',
          Address: 'user-42@example.com',
          EndpointStatus: 'ACTIVE',
          OptOut: 'NONE',
        },
      },
    });
  });

  it('classifies the receiver’s answers: 403 permanent, 500 retryable, 429 throttled', async () => {
    const message = campaignMessage(endpoint('ep-x'), 'act-f');
    expect(
      await adapterFor(
        { deliveryUri: receiver.deliveryUri },
        { headers: { authorization: 'Bearer guess' } },
      ).send(message),
    ).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'http_403' },
    });
    server.sandbox.context.faults.configure('custom', { errorRate: 1 });
    expect(await adapterFor({ deliveryUri: receiver.deliveryUri }).send(message)).toMatchObject({
      ok: false,
      failure: { class: 'retryable', code: 'http_500' },
    });
    server.sandbox.context.faults.configure('custom', { errorRate: 0, throttleRate: 1 });
    expect(await adapterFor({ deliveryUri: receiver.deliveryUri }).send(message)).toMatchObject({
      ok: false,
      failure: { class: 'throttled', code: 'http_429', retryAfterMs: 2_000 },
    });
  });
});

describe('Pinpoint’s HEAD check', () => {
  it('reads X-Amz-Pinpoint-AccountId, and refuses receivers that do not answer it', async () => {
    await expect(checkDeliveryUri(server.http, receiver.deliveryUri, { timeoutMs: 1000 })).resolves.toEqual({
      ok: true,
      accountId: receiver.accountId,
    });
    await expect(
      checkDeliveryUri(server.http, receiver.deliveryUri, {
        timeoutMs: 1000,
        expectedAccountId: '000000000000',
      }),
    ).resolves.toMatchObject({ ok: false });
    await expect(
      checkDeliveryUri(server.http, `${server.url}/custom/receivers/nobody`, { timeoutMs: 1000 }),
    ).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('404') });

    const plain = Fastify();
    plain.get('/hook', async () => 'ok');
    const url = await plain.listen({ host: '127.0.0.1', port: 0 });
    try {
      await expect(checkDeliveryUri(server.http, `${url}/hook`, { timeoutMs: 1000 })).resolves.toEqual({
        ok: false,
        reason: 'the receiver did not answer HEAD with an X-Amz-Pinpoint-AccountId header',
      });
      await expect(adapterFor({ deliveryUri: `${url}/hook` }).validateCredentials()).resolves.toMatchObject({
        ok: false,
      });
    } finally {
      await plain.close();
    }
    await expect(adapterFor({ deliveryUri: receiver.deliveryUri }).validateCredentials()).resolves.toEqual({
      ok: true,
    });
  });
});

describe('custom channel through a registered local function', () => {
  let dir: string;
  let functions: Record<string, string>;
  let twilioAccount: { accountSid: string; authToken: string };
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // An administrator's layout: herald.config.json next to a functions folder, paths relative to the file.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-functions-'));
    fs.cpSync(
      new URL('./test-support/pinpoint-whatsapp-function', import.meta.url),
      path.join(dir, 'functions/whatsapp'),
      { recursive: true },
    );
    const write = (name: string, source: string) =>
      fs.writeFileSync(path.join(dir, 'functions', name), source);
    write(
      'callback.cjs',
      'exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { seen: Object.keys(event.Endpoints).length, fn: context.functionName }), 5); };\n',
    );
    write('throws.cjs', 'exports.handler = async () => { throw new Error("downstream API refused"); };\n');
    write('hangs.cjs', 'exports.handler = () => new Promise(() => {});\n');
    write('nohandler.cjs', 'exports.somethingElse = () => 1;\n');
    write(
      'esm.mjs',
      'export const handler = async (event) => ({ endpoints: Object.keys(event.Endpoints) });\n',
    );
    fs.writeFileSync(
      path.join(dir, 'herald.config.json'),
      JSON.stringify({
        customFunctions: {
          whatsapp: './functions/whatsapp/index.js',
          callback: './functions/callback.cjs',
          throws: './functions/throws.cjs',
          hangs: './functions/hangs.cjs',
          nohandler: './functions/nohandler.cjs',
          esm: './functions/esm.mjs',
        },
      }),
    );
    const config = loadConfig({
      env: {
        HERALD_DATA_DIR: path.join(dir, 'data'),
        HERALD_SECRET_KEY: 'test-secret-key-0123456789abcdef',
        HERALD_ADMIN_TOKEN: 'test-admin-token-0123456789',
      },
      cwd: dir,
      fs,
    });
    functions = { ...config.customFunctions };

    twilioAccount = (
      await server.call('POST', '/twilio/_control/accounts', {
        numbers: [{ phoneNumber: 'whatsapp:+14155238886' }],
      })
    ).body;
    // The function reads its Twilio credentials from its environment, as a Lambda does.
    process.env.ACCOUNT_SID = twilioAccount.accountSid;
    process.env.AUTH_TOKEN = twilioAccount.authToken;
    process.env.TWILIO_API = `${server.url}/twilio`;
  });
  afterAll(() => {
    process.env = savedEnv;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves the registered paths relative to herald.config.json', () => {
    expect(functions.whatsapp).toBe(path.join(dir, 'functions/whatsapp/index.js'));
  });

  it('invokes a function written like the AWS sample, unchanged, with Pinpoint’s event per batch of 50', async () => {
    const endpoints = Array.from({ length: 60 }, (_, i) =>
      endpoint(`wa-${i}`, {
        address: `+1415555${String(1000 + i)}`,
        user: { userId: `u-${i}`, userAttributes: { FirstName: [`Name${i}`] } },
      }),
    );
    const adapter = adapterFor({ functionName: 'whatsapp' }, { functions });
    await expect(adapter.validateCredentials()).resolves.toEqual({ ok: true });
    const outcomes = await adapter.sendBatch(endpoints.map((e) => campaignMessage(e, 'act-wa')));
    expect(outcomes.every((o) => o.ok)).toBe(true);

    const sent = (await server.call('GET', `/twilio/_control/accounts/${twilioAccount.accountSid}/messages`))
      .body.items as Record<string, string>[];
    expect(sent).toHaveLength(60);
    expect(sent[0]).toMatchObject({
      to: 'whatsapp:+14155551000',
      from: 'whatsapp:+14155238886',
      body: 'Hello Name0',
    });
    expect(sent[59]).toMatchObject({ to: 'whatsapp:+14155551059', body: 'Hello Name59' });
  });

  it('supports Lambda-style callbacks and ESM handlers, and classifies failures', async () => {
    const message = campaignMessage(endpoint('ep-fn'), 'act-fn');
    const run = (functionName: string, timeoutMs = 2_000) =>
      adapterFor({ functionName, timeoutMs }, { functions }).send(message);
    expect(await run('callback')).toEqual({ ok: true, providerMessageId: 'act-fn:ep-fn' });
    expect(await run('esm')).toEqual({ ok: true, providerMessageId: 'act-fn:ep-fn' });
    expect(await run('throws')).toEqual({
      ok: false,
      failure: {
        class: 'retryable',
        code: 'function_error',
        message: 'custom function throws: downstream API refused',
      },
    });
    const started = Date.now();
    expect(await run('hangs', 150)).toMatchObject({
      ok: false,
      failure: { class: 'retryable', code: 'function_timeout' },
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await run('nohandler')).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'function_unavailable' },
    });
    expect(await run('unknown')).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'function_not_registered' },
    });
    await expect(
      adapterFor({ functionName: 'unknown' }, { functions }).validateCredentials(),
    ).resolves.toMatchObject({ ok: false });
    await expect(
      adapterFor({ functionName: 'nohandler' }, { functions }).validateCredentials(),
    ).resolves.toMatchObject({ ok: false });
  });
});
