import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonRequest } from '../../../test/helpers/json-request.js';
import type { MessageContent } from '../../domain/message-content.js';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from '../../sandbox/create-sandbox.js';
import { createWhatsAppSandbox } from '../../sandbox/whatsapp/whatsapp-sandbox.js';
import { runChannelContract } from '../contract.case.test.js';
import { whatsAppCloudProvider } from './provider.js';

const http = createHttpPools();
afterAll(() => http.close());

runChannelContract({
  name: 'whatsapp',
  sandboxProviders: [createWhatsAppSandbox],
  async setup(harness, { timeoutMs }) {
    const base = `${harness.sandboxUrl}/whatsapp`;
    const created = await jsonRequest(`${base}/_control/accounts`, {
      body: { webhookUrl: harness.webhookUrl, verify: false },
    });
    const account = created.json as {
      phoneNumberId: string;
      accessToken: string;
      appSecret: string;
      verifyToken: string;
    };
    const deps = {
      http,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      webhookUrl: harness.webhookUrl,
      customFunctions: {},
      snsCertHosts: [],
    };
    const build = (accessToken: string) =>
      whatsAppCloudProvider.createAdapter(
        {
          sender: whatsAppCloudProvider.senderSchema.parse({ phoneNumberId: account.phoneNumberId }),
          credentials: whatsAppCloudProvider.credentialsSchema.parse({
            accessToken,
            appSecret: account.appSecret,
            verifyToken: account.verifyToken,
          }),
          options: whatsAppCloudProvider.optionsSchema.parse({ baseUrl: base, timeoutMs }),
        },
        deps,
      );
    const recipient = '+15550100001';
    return {
      adapter: build(account.accessToken),
      badCredentials: build(`${account.accessToken.slice(0, -4)}XXXX`),
      recipient,
      content: { kind: 'text', text: 'hello from the contract' },
      statusWebhooks: true,
      async userWrites(text) {
        const sent = await jsonRequest(`${base}/_control/inbound`, {
          body: { phoneNumberId: account.phoneNumberId, from: recipient, type: 'text', text },
        });
        if (sent.status !== 200) throw new Error(`inbound failed: ${sent.text}`);
      },
    };
  },
});

describe('WhatsApp Cloud adapter against the sandbox', () => {
  let sandbox: Sandbox;
  let server: FastifyInstance;
  let base = '';
  let account: {
    phoneNumberId: string;
    wabaId: string;
    accessToken: string;
    appSecret: string;
    verifyToken: string;
  };
  const logger = createLogger({ level: 'silent' });

  const adapterWith = (overrides: { accessToken?: string; sender?: Record<string, unknown> } = {}) =>
    whatsAppCloudProvider.createAdapter(
      {
        sender: whatsAppCloudProvider.senderSchema.parse(
          overrides.sender ?? { phoneNumberId: account.phoneNumberId, wabaId: account.wabaId },
        ),
        credentials: whatsAppCloudProvider.credentialsSchema.parse({
          accessToken: overrides.accessToken ?? account.accessToken,
          appSecret: account.appSecret,
          verifyToken: account.verifyToken,
        }),
        options: whatsAppCloudProvider.optionsSchema.parse({
          baseUrl: base,
          apiVersion: 'v21.0',
          timeoutMs: 2_000,
        }),
      },
      {
        http,
        clock: systemClock,
        logger,
        webhookUrl: 'http://unused',
        customFunctions: {},
        snsCertHosts: [],
      },
    );

  beforeAll(async () => {
    let url = '';
    sandbox = createSandbox({
      clock: systemClock,
      http,
      publicUrl: () => url,
      providers: [createWhatsAppSandbox],
    });
    server = Fastify();
    await server.register(sandbox.plugin);
    url = await server.listen({ host: '127.0.0.1', port: 0 });
    base = `${url}/whatsapp`;
    account = (await jsonRequest(`${base}/_control/accounts`, { body: {} })).json as typeof account;
  });

  afterAll(async () => {
    sandbox.close();
    await server.close();
  });

  const sent = async () =>
    (
      (await jsonRequest(`${base}/_control/messages?phoneNumberId=${account.phoneNumberId}`)).json as {
        items: { wamid: string; message: Record<string, unknown> }[];
      }
    ).items;

  it('sends every content kind WhatsApp carries, as Graph accepts it', async () => {
    const adapter = adapterWith();
    await jsonRequest(`${base}/_control/inbound`, {
      body: { phoneNumberId: account.phoneNumberId, from: '+15550900001', text: 'hi' },
    });
    const contents: MessageContent[] = [
      { kind: 'text', text: 'plain', previewUrl: false },
      { kind: 'media', mediaType: 'image', url: 'https://cdn.example.com/a.jpg', caption: 'pic' },
      { kind: 'media', mediaType: 'audio', mediaId: '1234' },
      { kind: 'media', mediaType: 'video', url: 'https://cdn.example.com/v.mp4' },
      { kind: 'media', mediaType: 'document', mediaId: '99', filename: 'invoice.pdf' },
      {
        kind: 'interactive',
        interactive: {
          type: 'button',
          body: 'Confirm?',
          buttons: [
            { id: 'y', title: 'Yes' },
            { id: 'n', title: 'No' },
          ],
        },
      },
      {
        kind: 'interactive',
        interactive: {
          type: 'list',
          body: 'Pick',
          button: 'Options',
          sections: [{ rows: [{ id: 'a', title: 'A' }] }],
        },
      },
      { kind: 'location', latitude: 52.52, longitude: 13.405, name: 'Berlin' },
      {
        kind: 'template',
        name: 'order_update',
        language: 'en_US',
        header: { type: 'image', url: 'https://cdn.example.com/h.jpg' },
        body: [
          { type: 'text', text: 'Jane' },
          { type: 'text', text: '#1023' },
          { type: 'date_time', fallbackValue: 'Monday' },
        ],
        buttons: [
          { index: 0, subType: 'quick_reply', value: 'CONFIRM_1023' },
          { index: 1, subType: 'url', value: '1023' },
        ],
      },
      {
        kind: 'template',
        name: 'welcome_offer',
        language: 'en_US',
        header: { type: 'text', text: 'Jane', name: 'first_name' },
        body: [
          { type: 'text', text: 'Jane', name: 'first_name' },
          { type: 'text', text: 'Herald', name: 'shop_name' },
        ],
        buttons: [{ index: 0, subType: 'copy_code', value: 'WELCOME10' }],
      },
    ];
    const ids: string[] = [];
    for (const [i, content] of contents.entries()) {
      const outcome = await adapter.send({
        messageId: `msg_kind_${i}`,
        to: '+15550900001',
        content,
        attempt: 1,
      });
      expect(outcome, JSON.stringify(content)).toEqual({
        ok: true,
        providerMessageId: expect.stringMatching(/^wamid\./),
      });
      if (outcome.ok) ids.push(outcome.providerMessageId);
    }
    const reaction = await adapter.send({
      messageId: 'msg_reaction',
      to: '+15550900001',
      content: { kind: 'reaction', messageId: ids[0] as string, emoji: '\u{1F44D}' },
      attempt: 1,
    });
    expect(reaction.ok).toBe(true);
    const log = await sent();
    const first = log.find((m) => m.wamid === ids[0]);
    expect(first?.message).toMatchObject({ biz_opaque_callback_data: 'msg_kind_0', type: 'text' });
  });

  it('classifies template errors, the closed window and the pair rate by Meta code', async () => {
    const adapter = adapterWith();
    const unknown = await adapter.send({
      messageId: 'm1',
      to: '+15550900002',
      content: { kind: 'template', name: 'nope', language: 'en_US' },
      attempt: 1,
    });
    expect(unknown).toMatchObject({ ok: false, failure: { class: 'permanent', code: '132001' } });
    const count = await adapter.send({
      messageId: 'm2',
      to: '+15550900002',
      content: { kind: 'template', name: 'consent_request', language: 'en_US' },
      attempt: 1,
    });
    expect(count).toMatchObject({ ok: false, failure: { class: 'permanent', code: '132000' } });

    await jsonRequest(`${base}/_control/accounts/${account.phoneNumberId}/settings`, {
      method: 'PUT',
      body: { windowErrorMode: 'sync', pairBurst: 1 },
    });
    const closed = await adapter.send({
      messageId: 'm3',
      to: '+15550900002',
      content: { kind: 'text', text: 'x' },
      attempt: 1,
    });
    expect(closed).toMatchObject({ ok: false, failure: { class: 'window_closed', code: '131047' } });
    const template = { kind: 'template', name: 'hello_world', language: 'en_US' } as const;
    expect(
      (await adapter.send({ messageId: 'm4', to: '+15550900003', content: template, attempt: 1 })).ok,
    ).toBe(true);
    const pair = await adapter.send({ messageId: 'm5', to: '+15550900003', content: template, attempt: 2 });
    expect(pair).toMatchObject({
      ok: false,
      failure: { class: 'throttled', code: '131056', scope: 'recipient', retryAfterMs: 16_000 },
    });
    await jsonRequest(`${base}/_control/accounts/${account.phoneNumberId}/settings`, {
      method: 'PUT',
      body: { windowErrorMode: 'async', pairBurst: 45 },
    });
    const unsupported = await adapter.send({
      messageId: 'm6',
      to: '+15550900003',
      content: { kind: 'sticker', packageId: '1', stickerId: '2' },
      attempt: 1,
    });
    expect(unsupported).toMatchObject({
      ok: false,
      failure: { class: 'permanent', code: 'unsupported_content' },
    });
  });

  it('marks inbound messages read and fails loudly on an unknown id', async () => {
    const adapter = adapterWith();
    const inbound = await jsonRequest(`${base}/_control/inbound`, {
      body: { phoneNumberId: account.phoneNumberId, from: '+15550900004', text: 'read me' },
    });
    const id = (inbound.json as { id: string }).id;
    await expect(adapter.markRead?.(id, { typing: true })).resolves.toBeUndefined();
    await expect(adapter.markRead?.('wamid.unknown')).rejects.toThrow(/100/);
  });

  it('validates credentials with a cheap Graph call', async () => {
    expect(await adapterWith().validateCredentials?.()).toEqual({ ok: true });
    expect(await adapterWith({ accessToken: 'EAAGwrong-token-0000000' }).validateCredentials?.()).toEqual({
      ok: false,
      reason: expect.stringContaining('190'),
    });
    expect(await adapterWith({ sender: { phoneNumberId: '123' } }).validateCredentials?.()).toMatchObject({
      ok: false,
      reason: expect.stringContaining('100'),
    });
  });

  it('lists every template of the WABA, across pages', async () => {
    for (let i = 0; i < 120; i++) {
      await jsonRequest(`${base}/_control/templates`, {
        body: {
          wabaId: account.wabaId,
          name: `bulk_${i}`,
          language: 'en',
          components: [{ type: 'BODY', text: `T${i}` }],
        },
      });
    }
    const templates = (await adapterWith().listTemplates?.()) ?? [];
    expect(templates.filter((t) => t.name.startsWith('bulk_'))).toHaveLength(120);
    expect(templates.find((t) => t.name === 'welcome_offer')).toEqual({
      name: 'welcome_offer',
      language: 'en_US',
      category: 'MARKETING',
      status: 'APPROVED',
      parameterFormat: 'NAMED',
      components: expect.arrayContaining([{ type: 'BODY', text: expect.stringContaining('{{first_name}}') }]),
    });
    await expect(
      adapterWith({ sender: { phoneNumberId: account.phoneNumberId } }).listTemplates?.(),
    ).rejects.toThrow(/wabaId/);
  });

  it('answers a connection failure as retryable', async () => {
    const closed = whatsAppCloudProvider.createAdapter(
      {
        sender: { phoneNumberId: '1' },
        credentials: {
          accessToken: 'EAAG-closed-port-token',
          appSecret: 'secret-1',
          verifyToken: 'verify-1',
        },
        options: whatsAppCloudProvider.optionsSchema.parse({
          baseUrl: 'http://127.0.0.1:9',
          timeoutMs: 1_000,
        }),
      },
      {
        http,
        clock: systemClock,
        logger,
        webhookUrl: 'http://unused',
        customFunctions: {},
        snsCertHosts: [],
      },
    );
    const outcome = await closed.send({
      messageId: 'x',
      to: '+15550900009',
      content: { kind: 'text', text: 'x' },
      attempt: 1,
    });
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'retryable', code: 'connection_error' } });
  });
});
