import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonRequest } from '../../../test/helpers/json-request.js';
import { type SandboxServer, startSandboxServer } from '../../../test/helpers/sandbox-server.js';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createEumSmsSandbox } from '../../sandbox/eum-sms/eum-sms-sandbox.js';
import { runChannelContract } from '../contract.case.test.js';
import { confirmedSubscription } from '../sns/test-support/confirmed-subscription.js';
import { eumSmsProvider } from './provider.js';

const http = createHttpPools();
afterAll(() => http.close());

interface SandboxAccount {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  originationNumber: string;
  configurationSetName: string;
  topicArn: string;
}

runChannelContract({
  name: 'eum-sms',
  sandboxProviders: [createEumSmsSandbox],
  async setup(harness, { timeoutMs }) {
    const base = `${harness.sandboxUrl}/eum-sms`;
    const created = await jsonRequest(`${base}/_control/accounts`, {
      body: { webhookUrl: harness.webhookUrl },
    });
    const account = created.json as SandboxAccount;
    const deps = {
      http,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      webhookUrl: harness.webhookUrl,
      customFunctions: {},
      snsCertHosts: ['127.0.0.1'],
    };
    const build = (secretAccessKey: string) =>
      eumSmsProvider.createAdapter(
        {
          sender: eumSmsProvider.senderSchema.parse({ originationIdentity: account.originationNumber }),
          credentials: eumSmsProvider.credentialsSchema.parse({
            accessKeyId: account.accessKeyId,
            secretAccessKey,
          }),
          options: eumSmsProvider.optionsSchema.parse({
            region: account.region,
            endpoint: base,
            configurationSetName: account.configurationSetName,
            snsTopicArn: account.topicArn,
            timeoutMs,
          }),
        },
        deps,
      );
    const recipient = '+14255550156';
    return {
      adapter: build(account.secretAccessKey),
      badCredentials: build(`${account.secretAccessKey.slice(0, -4)}XXXX`),
      recipient,
      content: { kind: 'text', text: 'hello from the contract' },
      statusWebhooks: true,
      async userWrites(text) {
        await confirmedSubscription(base, account.topicArn, harness.webhookUrl);
        const sent = await jsonRequest(`${base}/_control/inbound`, {
          body: { originationNumber: account.originationNumber, from: recipient, text },
        });
        if (sent.status !== 200) throw new Error(`inbound failed: ${sent.text}`);
      },
      withoutSignature(request: WebhookRequest): WebhookRequest {
        const { Signature: _dropped, ...unsigned } = JSON.parse(request.rawBody.toString('utf8')) as Record<
          string,
          unknown
        >;
        return { ...request, rawBody: Buffer.from(JSON.stringify(unsigned)) };
      },
    };
  },
});

describe('End User Messaging SMS adapter against the sandbox', () => {
  let server: SandboxServer;
  let account: SandboxAccount;
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    server = await startSandboxServer({ providers: [createEumSmsSandbox] });
    account = (await server.call('POST', '/eum-sms/_control/accounts', {})).body as SandboxAccount;
  });
  afterAll(() => server.close());

  const adapterWith = (overrides: { secretAccessKey?: string; options?: Record<string, unknown> } = {}) =>
    eumSmsProvider.createAdapter(
      {
        sender: eumSmsProvider.senderSchema.parse({ originationIdentity: account.originationNumber }),
        credentials: eumSmsProvider.credentialsSchema.parse({
          accessKeyId: account.accessKeyId,
          secretAccessKey: overrides.secretAccessKey ?? account.secretAccessKey,
        }),
        options: eumSmsProvider.optionsSchema.parse({
          region: account.region,
          endpoint: `${server.url}/eum-sms`,
          configurationSetName: account.configurationSetName,
          ...overrides.options,
        }),
      },
      {
        http: server.http,
        clock: systemClock,
        logger,
        webhookUrl: 'http://unused',
        customFunctions: {},
        snsCertHosts: [],
      },
    );

  it('sends the text with Herald’s message id in Context and the channel’s options', async () => {
    const adapter = adapterWith({
      options: { messageType: 'PROMOTIONAL', timeToLiveSeconds: 600, maxPrice: '0.05' },
    });
    const outcome = await adapter.send({
      messageId: 'msg_sms_ctx',
      to: '+14255550140',
      content: { kind: 'text', text: 'Sale today' },
      attempt: 1,
    });
    expect(outcome).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const log = (
      await server.call(
        'GET',
        `/eum-sms/_control/messages?originationNumber=${encodeURIComponent(account.originationNumber)}`,
      )
    ).body.items as { messageId: string; body: string; context: Record<string, string> }[];
    expect(log.at(-1)).toMatchObject({
      messageId: outcome.ok ? outcome.providerMessageId : '',
      body: 'Sale today',
      context: { heraldMessageId: 'msg_sms_ctx' },
    });
  });

  it('classifies opt-outs and validation by Reason, throttling and server errors by exception, and refuses non-text', async () => {
    const adapter = adapterWith();
    await server.call('POST', '/eum-sms/_control/opt-outs', {
      originationNumber: account.originationNumber,
      phoneNumber: '+14255550141',
      optedOut: true,
    });
    const text = { kind: 'text', text: 'hi' } as const;
    expect(
      await adapter.send({ messageId: 'a', to: '+14255550141', content: text, attempt: 1 }),
    ).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'DESTINATION_PHONE_NUMBER_OPTED_OUT' },
    });
    expect(await adapter.send({ messageId: 'b', to: '0042', content: text, attempt: 1 })).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'FIELD_VALIDATION_FAILED' },
    });
    server.sandbox.context.faults.configure('eum-sms', { throttleRate: 1 });
    expect(
      await adapter.send({ messageId: 'c', to: '+14255550142', content: text, attempt: 1 }),
    ).toMatchObject({
      ok: false,
      failure: { class: 'throttled', code: 'ThrottlingException', scope: 'sender' },
    });
    server.sandbox.context.faults.configure('eum-sms', { throttleRate: 0, errorRate: 1 });
    expect(
      await adapter.send({ messageId: 'd', to: '+14255550142', content: text, attempt: 1 }),
    ).toMatchObject({
      ok: false,
      failure: { class: 'retryable', code: 'InternalServerException' },
    });
    server.sandbox.context.faults.reset();
    expect(
      await adapter.send({
        messageId: 'e',
        to: '+14255550142',
        content: { kind: 'media', mediaType: 'image', url: 'https://cdn.example.com/a.jpg' },
        attempt: 1,
      }),
    ).toMatchObject({ ok: false, failure: { class: 'permanent', code: 'unsupported_content' } });
  });

  it('checks credentials with DescribeAccountAttributes', async () => {
    expect(await adapterWith().validateCredentials?.()).toEqual({ ok: true });
    expect(
      await adapterWith({ secretAccessKey: 'wrong-secret-wrong-secret' }).validateCredentials?.(),
    ).toEqual({
      ok: false,
      reason: expect.stringContaining('InvalidSignatureException'),
    });
  });
});
