import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonRequest } from '../../../test/helpers/json-request.js';
import { type SandboxServer, startSandboxServer } from '../../../test/helpers/sandbox-server.js';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createEumSocialSandbox } from '../../sandbox/eum-social/eum-social-sandbox.js';
import { runChannelContract } from '../contract.case.test.js';
import { confirmedSubscription } from '../sns/test-support/confirmed-subscription.js';
import { eumSocialProvider } from './provider.js';

const http = createHttpPools();
afterAll(() => http.close());

interface SandboxPhone {
  originationPhoneNumberId: string;
  metaPhoneNumberId: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  topicArn: string;
}

runChannelContract({
  name: 'eum-social',
  sandboxProviders: [createEumSocialSandbox],
  async setup(harness, { timeoutMs }) {
    const base = `${harness.sandboxUrl}/eum-social`;
    const created = await jsonRequest(`${base}/_control/accounts`, {
      body: { webhookUrl: harness.webhookUrl },
    });
    const phone = created.json as SandboxPhone;
    const deps = {
      http,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      webhookUrl: harness.webhookUrl,
      customFunctions: {},
      snsCertHosts: ['127.0.0.1'],
    };
    const build = (secretAccessKey: string) =>
      eumSocialProvider.createAdapter(
        {
          sender: eumSocialProvider.senderSchema.parse({
            originationPhoneNumberId: phone.originationPhoneNumberId,
            metaPhoneNumberId: phone.metaPhoneNumberId,
          }),
          credentials: eumSocialProvider.credentialsSchema.parse({
            accessKeyId: phone.accessKeyId,
            secretAccessKey,
          }),
          options: eumSocialProvider.optionsSchema.parse({
            region: phone.region,
            endpoint: base,
            snsTopicArn: phone.topicArn,
            timeoutMs,
          }),
        },
        deps,
      );
    const recipient = '+15550100001';
    return {
      adapter: build(phone.secretAccessKey),
      badCredentials: build(`${phone.secretAccessKey.slice(0, -4)}XXXX`),
      recipient,
      content: { kind: 'text', text: 'hello from the contract' },
      statusWebhooks: true,
      async userWrites(text) {
        await confirmedSubscription(base, phone.topicArn, harness.webhookUrl);
        const sent = await jsonRequest(`${base}/_control/inbound`, {
          body: { phoneNumberId: phone.metaPhoneNumberId, from: recipient, type: 'text', text },
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

describe('End User Messaging Social adapter against the sandbox', () => {
  let server: SandboxServer;
  let phone: SandboxPhone;
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    server = await startSandboxServer({ providers: [createEumSocialSandbox] });
    phone = (await server.call('POST', '/eum-social/_control/accounts', {})).body as SandboxPhone;
  });
  afterAll(() => server.close());

  const adapterWith = (overrides: { secretAccessKey?: string; originationPhoneNumberId?: string } = {}) =>
    eumSocialProvider.createAdapter(
      {
        sender: eumSocialProvider.senderSchema.parse({
          originationPhoneNumberId: overrides.originationPhoneNumberId ?? phone.originationPhoneNumberId,
        }),
        credentials: eumSocialProvider.credentialsSchema.parse({
          accessKeyId: phone.accessKeyId,
          secretAccessKey: overrides.secretAccessKey ?? phone.secretAccessKey,
        }),
        options: eumSocialProvider.optionsSchema.parse({
          region: phone.region,
          endpoint: `${server.url}/eum-social`,
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

  it('sends Meta’s body through SendWhatsAppMessage with Herald’s id as callback data', async () => {
    const adapter = adapterWith();
    await server.call('POST', '/eum-social/_control/inbound', {
      phoneNumberId: phone.metaPhoneNumberId,
      from: '+15552220001',
      text: 'hi',
    });
    const outcome = await adapter.send({
      messageId: 'msg_aws_kind',
      to: '+15552220001',
      content: { kind: 'media', mediaType: 'image', url: 'https://cdn.example.com/a.jpg', caption: 'A' },
      attempt: 1,
    });
    expect(outcome).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^wamid\./) });
    const log = (
      await server.call('GET', `/eum-social/_control/messages?phoneNumberId=${phone.metaPhoneNumberId}`)
    ).body.items as { message: Record<string, unknown> }[];
    expect(log.at(-1)?.message).toMatchObject({
      type: 'image',
      image: { link: 'https://cdn.example.com/a.jpg', caption: 'A' },
      biz_opaque_callback_data: 'msg_aws_kind',
    });
  });

  it('classifies by the Meta code AWS quotes, then by AWS’s exception', async () => {
    const adapter = adapterWith();
    const template = await adapter.send({
      messageId: 'm1',
      to: '+15552220002',
      content: { kind: 'template', name: 'no_such_template', language: 'en_US' },
      attempt: 1,
    });
    expect(template).toMatchObject({ ok: false, failure: { class: 'permanent', code: '132001' } });
    await server.call('PUT', `/eum-social/_control/accounts/${phone.metaPhoneNumberId}/settings`, {
      windowErrorMode: 'sync',
      pairBurst: 1,
    });
    const closed = await adapter.send({
      messageId: 'm2',
      to: '+15552220002',
      content: { kind: 'text', text: 'x' },
      attempt: 1,
    });
    expect(closed).toMatchObject({ ok: false, failure: { class: 'window_closed', code: '131047' } });
    const hello = { kind: 'template', name: 'hello_world', language: 'en_US' } as const;
    expect((await adapter.send({ messageId: 'm3', to: '+15552220003', content: hello, attempt: 1 })).ok).toBe(
      true,
    );
    const pair = await adapter.send({ messageId: 'm4', to: '+15552220003', content: hello, attempt: 1 });
    expect(pair).toMatchObject({
      ok: false,
      failure: { class: 'throttled', code: '131056', scope: 'recipient' },
    });
    await server.call('PUT', `/eum-social/_control/accounts/${phone.metaPhoneNumberId}/settings`, {
      windowErrorMode: 'async',
      pairBurst: 45,
    });
    const unknown = await adapterWith({ originationPhoneNumberId: 'phone-number-id-000' }).send({
      messageId: 'm5',
      to: '+15552220003',
      content: hello,
      attempt: 1,
    });
    expect(unknown).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'ResourceNotFoundException' },
    });
    server.sandbox.context.faults.configure('eum-social', { errorRate: 1 });
    const internal = await adapter.send({ messageId: 'm6', to: '+15552220003', content: hello, attempt: 1 });
    server.sandbox.context.faults.reset();
    expect(internal).toMatchObject({
      ok: false,
      failure: { class: 'retryable', code: 'InternalServiceException' },
    });
  });

  it('marks messages read through AWS, and checks credentials with the phone-number details call', async () => {
    const adapter = adapterWith();
    const inbound = await server.call('POST', '/eum-social/_control/inbound', {
      phoneNumberId: phone.metaPhoneNumberId,
      from: '+15552220004',
      text: 'read me',
    });
    await expect(adapter.markRead?.(inbound.body.id, { typing: true })).resolves.toBeUndefined();
    await expect(adapter.markRead?.('wamid.unknown')).rejects.toThrow(/100/);
    expect(await adapter.validateCredentials?.()).toEqual({ ok: true });
    expect(
      await adapterWith({ secretAccessKey: 'wrong-secret-wrong-secret' }).validateCredentials?.(),
    ).toEqual({
      ok: false,
      reason: expect.stringContaining('InvalidSignatureException'),
    });
  });
});
