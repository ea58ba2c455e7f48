import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonRequest } from '../../../test/helpers/json-request.js';
import { metaWebhookEvents } from '../../channels/meta/meta-webhook-events.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from '../create-sandbox.js';
import { createWhatsAppSandbox } from './whatsapp-sandbox.js';

interface Account {
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  verification?: { verified: boolean; status: number };
}

interface Hook {
  body: {
    entry: { id: string; changes: { value: Record<string, unknown> }[] }[];
  };
  raw: string;
  signatureValid: boolean;
}

const START = Date.parse('2026-11-21T10:00:00Z');
let now = START;
const http = createHttpPools();
let sandbox: Sandbox;
let server: FastifyInstance;
let receiver: FastifyInstance;
let base = '';
let hookUrl = '';
const hooks: Hook[] = [];
const secrets = new Map<string, string>();

beforeAll(async () => {
  let sandboxUrl = '';
  sandbox = createSandbox({
    clock: { now: () => now },
    http,
    publicUrl: () => sandboxUrl,
    providers: [createWhatsAppSandbox],
    seed: 11,
  });
  sandbox.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 2, retryBaseMs: 10, maxAttempts: 2 });
  server = Fastify();
  await server.register(sandbox.plugin);
  sandboxUrl = await server.listen({ host: '127.0.0.1', port: 0 });
  base = `${sandboxUrl}/whatsapp`;

  receiver = Fastify();
  receiver.removeAllContentTypeParsers();
  receiver.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  receiver.get('/hook', async (request, reply) => {
    const q = request.query as Record<string, string>;
    if (q['hub.verify_token'] !== 'good-verify-token') return reply.code(403).send('no');
    return reply.type('text/plain').send(q['hub.challenge']);
  });
  receiver.post('/hook', async (request) => {
    const raw = request.body as string;
    const body = JSON.parse(raw) as Hook['body'];
    const metadata = body.entry[0]?.changes[0]?.value.metadata as { phone_number_id?: string } | undefined;
    const phoneId = metadata?.phone_number_id ?? '';
    const secret = secrets.get(phoneId) ?? '';
    const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    hooks.push({ body, raw, signatureValid: request.headers['x-hub-signature-256'] === expected });
    return {};
  });
  hookUrl = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/hook`;
});

afterAll(async () => {
  sandbox.close();
  await server.close();
  await receiver.close();
  await http.close();
});

beforeEach(() => {
  now += 60 * 60 * 1000;
  sandbox.context.faults.reset();
  sandbox.context.webhooks.configure({ duplicateRate: 0, minDelayMs: 0, maxDelayMs: 2 });
});

async function provision(extra: Record<string, unknown> = {}): Promise<Account> {
  const created = await jsonRequest(`${base}/_control/accounts`, {
    body: { webhookUrl: hookUrl, verifyToken: 'good-verify-token', ...extra },
  });
  expect(created.status).toBe(201);
  const account = created.json as Account;
  secrets.set(account.phoneNumberId, account.appSecret);
  return account;
}

function send(account: Account, body: unknown, token = account.accessToken) {
  return jsonRequest(`${base}/v23.0/${account.phoneNumberId}/messages`, {
    body,
    headers: { authorization: `Bearer ${token}` },
  });
}

const text = (to: string, body = 'hello', extra: Record<string, unknown> = {}) => ({
  messaging_product: 'whatsapp',
  to,
  type: 'text',
  text: { body },
  ...extra,
});

async function userWrites(account: Account, from: string, spec: Record<string, unknown> = { text: 'hi' }) {
  const result = await jsonRequest(`${base}/_control/inbound`, {
    body: { phoneNumberId: account.phoneNumberId, from, ...spec },
  });
  expect(result.status, result.text).toBe(200);
  return (result.json as { id: string }).id;
}

const errorOf = (json: unknown) => (json as { error: { code: number; message: string; type: string } }).error;

function statusesOf(wamid: string) {
  return hooks.flatMap((h) =>
    h.body.entry.flatMap((e) =>
      e.changes.flatMap((c) =>
        ((c.value.statuses as { id: string; status: string }[] | undefined) ?? []).filter(
          (s) => s.id === wamid,
        ),
      ),
    ),
  ) as {
    id: string;
    status: string;
    errors?: { code: number }[];
    biz_opaque_callback_data?: string;
    pricing?: { category: string };
  }[];
}

async function settle(): Promise<void> {
  await sandbox.context.webhooks.idle();
}

describe('WhatsApp sandbox: accounts, auth and validation', () => {
  it('calls the webhook with Meta’s GET verification when an account is provisioned', async () => {
    expect((await provision()).verification).toEqual({ verified: true, status: 200 });
    const wrong = await jsonRequest(`${base}/_control/accounts`, {
      body: { webhookUrl: hookUrl, verifyToken: 'wrong-verify-token' },
    });
    expect((wrong.json as Account).verification).toEqual({ verified: false, status: 403 });
  });

  it('answers 401 with code 190 for a missing or unknown token, and 100 for a number the token cannot reach', async () => {
    const a = await provision();
    const b = await provision();
    const missing = await jsonRequest(`${base}/v23.0/${a.phoneNumberId}/messages`, {
      body: text('15550100001'),
    });
    expect(missing.status).toBe(401);
    expect(errorOf(missing.json)).toMatchObject({ code: 190, type: 'OAuthException' });
    const unknown = await send(a, text('15550100001'), 'EAAGnot-a-real-token-at-all');
    expect(unknown.status).toBe(401);
    const other = await send(a, text('15550100001'), b.accessToken);
    expect(other.status).toBe(400);
    expect(errorOf(other.json)).toMatchObject({ code: 100 });
    expect(errorOf(other.json).message).toBe('(#100) Invalid parameter');
  });

  it('answers 131008 for a missing field, 131009 for a bad value and 100 for an unknown field or bad JSON', async () => {
    const a = await provision();
    const cases: [unknown, number][] = [
      [{ messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } }, 131008],
      [{ messaging_product: 'whatsapp', to: '15550100001', type: 'text', text: {} }, 131008],
      [{ messaging_product: 'whatsapp', to: '15550100001', type: 'image' }, 131008],
      [text('15550100001', 'x'.repeat(4097)), 131009],
      [text('not-a-number'), 131009],
      [
        {
          messaging_product: 'whatsapp',
          to: '15550100001',
          type: 'image',
          image: { id: '1', link: 'https://a.example/x.jpg' },
        },
        131009,
      ],
      [
        {
          messaging_product: 'whatsapp',
          to: '15550100001',
          type: 'interactive',
          interactive: {
            type: 'button',
            body: { text: 'pick' },
            action: {
              buttons: ['a', 'b', 'c', 'd'].map((id) => ({ type: 'reply', reply: { id, title: id } })),
            },
          },
        },
        131009,
      ],
      [text('15550100001', 'x', { colour: 'blue' }), 100],
    ];
    for (const [body, code] of cases) {
      const answer = await send(a, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(answer.json).code, JSON.stringify(body)).toBe(code);
    }
    const malformed = await jsonRequest(`${base}/v23.0/${a.phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
      body: undefined,
    });
    expect(errorOf(malformed.json).code).toBe(100);
  });

  it('answers a send with Meta’s exact success shape, and records it with its callback data', async () => {
    const a = await provision();
    await userWrites(a, '+15550100001');
    const before = sandbox.context.counters.totals();
    const answer = await send(a, text('+15550100001', 'hello', { biz_opaque_callback_data: 'msg_42' }));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+15550100001', wa_id: '15550100001' }],
      messages: [{ id: expect.stringMatching(/^wamid\.HBgL[A-Za-z0-9+/=]+$/) }],
    });
    expect(sandbox.context.counters.totals()).toEqual({
      total: before.total + 1,
      duplicates: before.duplicates,
      uniqueTags: before.uniqueTags + 1,
    });
    await send(a, text('+15550100001', 'again', { biz_opaque_callback_data: 'msg_42' }));
    expect(sandbox.context.counters.totals().duplicates).toBe(before.duplicates + 1);
    const phone = sandbox.context.phones.find('whatsapp', a.phoneNumberId, '+15550100001');
    expect(phone?.entries.map((e) => [e.direction, e.summary])).toEqual([
      ['in', 'hi'],
      ['out', 'hello'],
      ['out', 'again'],
    ]);
  });
});

describe('WhatsApp sandbox: the 24-hour window', () => {
  it('accepts a free-form message outside the window, then fails it with a signed 131047 status (async default)', async () => {
    const a = await provision();
    const answer = await send(a, text('15550100002', 'too late', { biz_opaque_callback_data: 'msg_late' }));
    expect(answer.status).toBe(200);
    const wamid = (answer.json as { messages: { id: string }[] }).messages[0]?.id as string;
    await settle();
    const statuses = statusesOf(wamid);
    expect(statuses).toEqual([
      expect.objectContaining({
        status: 'failed',
        biz_opaque_callback_data: 'msg_late',
        errors: [expect.objectContaining({ code: 131047, title: 'Re-engagement message' })],
      }),
    ]);
    expect(hooks.filter((h) => h.raw.includes(wamid)).every((h) => h.signatureValid)).toBe(true);
  });

  it('opens the window with each inbound message and closes it 24 hours later', async () => {
    const a = await provision();
    await userWrites(a, '+15550100003');
    now += 24 * 60 * 60 * 1000 - 1;
    const inside = await send(a, text('15550100003'));
    const insideId = (inside.json as { messages: { id: string }[] }).messages[0]?.id as string;
    now += 2;
    const outside = await send(a, text('15550100003'));
    const outsideId = (outside.json as { messages: { id: string }[] }).messages[0]?.id as string;
    await settle();
    expect(statusesOf(insideId).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(statusesOf(outsideId).map((s) => s.status)).toEqual(['failed']);
  });

  it('answers 131047 synchronously when switched to sync, while templates still go through', async () => {
    const a = await provision({ settings: { windowErrorMode: 'sync' } });
    const answer = await send(a, text('15550100004'));
    expect(answer.status).toBe(400);
    expect(errorOf(answer.json)).toMatchObject({ code: 131047, message: '(#131047) Re-engagement message' });
    const template = await send(a, {
      messaging_product: 'whatsapp',
      to: '15550100004',
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    });
    expect(template.status).toBe(200);
    expect((template.json as { messages: { message_status: string }[] }).messages[0]?.message_status).toBe(
      'accepted',
    );
  });
});

describe('WhatsApp sandbox: templates', () => {
  const template = (name: string, code: string, components?: unknown[]) => ({
    messaging_product: 'whatsapp',
    to: '15550100005',
    type: 'template',
    template: { name, language: { code }, ...(components ? { components } : {}) },
  });
  const orderComponents = (bodyParams: number, withUrl = true) => [
    { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/h.jpg' } }] },
    {
      type: 'body',
      parameters: Array.from({ length: bodyParams }, (_, i) => ({ type: 'text', text: `p${i + 1}` })),
    },
    ...(withUrl
      ? [{ type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: '1023' }] }]
      : []),
  ];

  it('checks name, language, status, parameter count and format', async () => {
    const a = await provision();
    const cases: [unknown, number, number][] = [
      [template('no_such_template', 'en_US'), 404, 132001],
      [template('order_update', 'fr'), 404, 132001],
      [template('order_update', 'en_US', orderComponents(2)), 400, 132000],
      [template('order_update', 'en_US', orderComponents(3, false)), 400, 132000],
      [
        template('hello_world', 'en_US', [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }]),
        400,
        132000,
      ],
      [
        template('welcome_offer', 'en_US', [
          { type: 'header', parameters: [{ type: 'text', text: 'Jane', parameter_name: 'first_name' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Jane' },
              { type: 'text', text: 'Shop' },
            ],
          },
        ]),
        400,
        132012,
      ],
      [template('spring_sale', 'en_US'), 400, 132015],
    ];
    for (const [body, status, code] of cases) {
      const answer = await send(a, body);
      expect([answer.status, errorOf(answer.json).code], JSON.stringify(body)).toEqual([status, code]);
    }
    const good = await send(a, template('order_update', 'en_US', orderComponents(3)));
    expect(good.status).toBe(200);
    const named = await send(
      a,
      template('welcome_offer', 'en_US', [
        { type: 'header', parameters: [{ type: 'text', text: 'Jane', parameter_name: 'first_name' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Jane', parameter_name: 'first_name' },
            { type: 'text', text: 'Shop', parameter_name: 'shop_name' },
          ],
        },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: 0,
          parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }],
        },
      ]),
    );
    expect(named.status, named.text).toBe(200);
  });

  it('adds templates through the control route and lists them page by page like Graph', async () => {
    const a = await provision();
    const added = await jsonRequest(`${base}/_control/templates`, {
      body: {
        wabaId: a.wabaId,
        name: 'appointment_reminder',
        language: 'de',
        components: [{ type: 'BODY', text: 'Hallo {{1}}, Ihr Termin ist am {{2}}.' }],
      },
    });
    expect(added.status).toBe(201);
    const sent = await send(
      a,
      template('appointment_reminder', 'de', [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Jan' },
            { type: 'text', text: 'Montag' },
          ],
        },
      ]),
    );
    expect(sent.status).toBe(200);

    const names: string[] = [];
    let url: string | undefined = `${base}/v23.0/${a.wabaId}/message_templates?limit=2`;
    for (let page = 0; url && page < 10; page++) {
      const answer = await jsonRequest(url, { headers: { authorization: `Bearer ${a.accessToken}` } });
      expect(answer.status).toBe(200);
      const body = answer.json as { data: { name: string; language: string }[]; paging: { next?: string } };
      expect(body.data.length).toBeLessThanOrEqual(2);
      names.push(...body.data.map((t) => `${t.name}/${t.language}`));
      url = body.paging.next;
    }
    expect(names).toContain('appointment_reminder/de');
    expect(names).toContain('order_update/es');
    expect(new Set(names).size).toBe(names.length);

    const other = await provision();
    const otherList = await jsonRequest(`${base}/v23.0/${other.wabaId}/message_templates?limit=100`, {
      headers: { authorization: `Bearer ${other.accessToken}` },
    });
    expect((otherList.json as { data: { name: string }[] }).data.map((t) => t.name)).not.toContain(
      'appointment_reminder',
    );
  });

  it('refuses a malformed template definition', async () => {
    const bad = await jsonRequest(`${base}/_control/templates`, {
      body: { name: 'Bad Name', language: 'en', components: [] },
    });
    expect(bad.status).toBe(400);
  });
});

describe('WhatsApp sandbox: throughput and pair rate', () => {
  it('limits messages per second per number (inbound included), with 400 or 429 as configured', async () => {
    const a = await provision({ settings: { messagesPerSecond: 5 } });
    for (let i = 0; i < 5; i++) await userWrites(a, `+1555020000${i}`);
    const throttled = await send(a, text('15550200000'));
    expect(throttled.status).toBe(400);
    expect(errorOf(throttled.json)).toMatchObject({ code: 130429, message: '(#130429) Rate limit hit' });
    await jsonRequest(`${base}/_control/accounts/${a.phoneNumberId}/settings`, {
      method: 'PUT',
      body: { throttleHttpStatus: 429 },
    });
    expect((await send(a, text('15550200000'))).status).toBe(429);
    now += 1000;
    expect((await send(a, text('15550200000'))).status).toBe(200);
  });

  it('limits messages to one user (131056) without holding back other users', async () => {
    const a = await provision({ settings: { pairBurst: 3, pairSecondsPerMessage: 6 } });
    await userWrites(a, '+15550300001');
    await userWrites(a, '+15550300002');
    for (let i = 0; i < 3; i++) expect((await send(a, text('15550300001'))).status).toBe(200);
    const pair = await send(a, text('15550300001'));
    expect(pair.status).toBe(400);
    expect(errorOf(pair.json).code).toBe(131056);
    expect((await send(a, text('15550300002'))).status).toBe(200);
    now += 6000;
    expect((await send(a, text('15550300001'))).status).toBe(200);
  });
});

describe('WhatsApp sandbox: statuses', () => {
  it('sends sent -> delivered -> read with pricing, through the shared emitter (duplicates and all)', async () => {
    const a = await provision({ settings: { statusGapMs: 0 } });
    await userWrites(a, '+15550400001');
    sandbox.context.webhooks.configure({ duplicateRate: 1, minDelayMs: 0, maxDelayMs: 40 });
    const answer = await send(a, text('15550400001', 'status please', { biz_opaque_callback_data: 'msg_s' }));
    const wamid = (answer.json as { messages: { id: string }[] }).messages[0]?.id as string;
    await settle();
    const statuses = statusesOf(wamid);
    expect(statuses).toHaveLength(6);
    expect(new Set(statuses.map((s) => s.status))).toEqual(new Set(['sent', 'delivered', 'read']));
    expect(statuses.every((s) => s.biz_opaque_callback_data === 'msg_s')).toBe(true);
    expect(statuses.find((s) => s.status === 'sent')?.pricing).toMatchObject({ category: 'service' });
  });

  it('reorders statuses when the emitter’s delays outgrow the gap between them', async () => {
    const a = await provision({ settings: { statusGapMs: 0 } });
    sandbox.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 60 });
    const orders = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const user = `+1555041000${i}`;
      await userWrites(a, user);
      const answer = await send(a, text(user.slice(1)));
      const wamid = (answer.json as { messages: { id: string }[] }).messages[0]?.id as string;
      await settle();
      orders.add(
        statusesOf(wamid)
          .map((s) => s.status)
          .join(','),
      );
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it('fails later messages with an injected code (131026, 131049...), for one recipient or any', async () => {
    const a = await provision();
    await userWrites(a, '+15550500001');
    await userWrites(a, '+15550500002');
    const inject = await jsonRequest(`${base}/_control/accounts/${a.phoneNumberId}/failures`, {
      body: { code: 131026, recipient: '+15550500001', count: 1 },
    });
    expect(inject.status).toBe(200);
    const other = await send(a, text('15550500002'));
    const first = await send(a, text('15550500001'));
    const second = await send(a, text('15550500001'));
    await settle();
    const id = (r: { json: unknown }) => (r.json as { messages: { id: string }[] }).messages[0]?.id as string;
    expect(statusesOf(id(other)).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(statusesOf(id(first))).toEqual([
      expect.objectContaining({ status: 'failed', errors: [expect.objectContaining({ code: 131026 })] }),
    ]);
    expect(statusesOf(id(second)).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    const refused = await jsonRequest(`${base}/_control/accounts/${a.phoneNumberId}/failures`, {
      body: { code: 131047 },
    });
    expect(refused.status).toBe(400);
  });
});

describe('WhatsApp sandbox: inbound messages and mark-as-read', () => {
  const specs: [Record<string, unknown>, Record<string, unknown>][] = [
    [
      { type: 'text', text: 'hello' },
      { kind: 'text', text: 'hello' },
    ],
    [
      { type: 'image', caption: 'look', mediaId: '777' },
      { kind: 'media', mediaType: 'image', mediaId: '777', caption: 'look' },
    ],
    [
      { type: 'audio', voice: true },
      { kind: 'media', mediaType: 'audio' },
    ],
    [{ type: 'video' }, { kind: 'media', mediaType: 'video', mimeType: 'video/mp4' }],
    [
      { type: 'document', filename: 'a.pdf' },
      { kind: 'media', mediaType: 'document', mimeType: 'application/pdf' },
    ],
    [{ type: 'sticker' }, { kind: 'media', mediaType: 'sticker' }],
    [
      { type: 'location', latitude: 1.5, longitude: 2.5, name: 'Here' },
      { kind: 'location', latitude: 1.5, longitude: 2.5, name: 'Here' },
    ],
    [
      { type: 'button', text: 'Confirm', payload: 'CONFIRM_1', contextMessageId: 'wamid.T' },
      { kind: 'button', text: 'Confirm', payload: 'CONFIRM_1' },
    ],
    [
      { type: 'button_reply', replyId: 'yes', text: 'Yes' },
      { kind: 'interactive', replyType: 'button_reply', id: 'yes', title: 'Yes' },
    ],
    [
      { type: 'list_reply', replyId: 'row1', text: 'Row', description: 'd' },
      { kind: 'interactive', replyType: 'list_reply', id: 'row1', title: 'Row', description: 'd' },
    ],
    [
      { type: 'reaction', emoji: '\u{1F44D}', contextMessageId: 'wamid.R' },
      { kind: 'reaction', messageId: 'wamid.R', emoji: '\u{1F44D}' },
    ],
    [{ type: 'contacts' }, { kind: 'unsupported', providerType: 'contacts' }],
    [{ type: 'order' }, { kind: 'unsupported', providerType: 'order' }],
    [{ type: 'unsupported' }, { kind: 'unsupported', providerType: 'unsupported' }],
  ];

  it('emits a signed messages webhook for every inbound type, which Herald’s parser reads back', async () => {
    const a = await provision();
    for (const [spec, content] of specs) {
      const id = await userWrites(a, '+15550600001', { ...spec, profileName: 'Ana' });
      await settle();
      const hook = hooks.find((h) => h.raw.includes(id));
      expect(hook?.signatureValid, JSON.stringify(spec)).toBe(true);
      const events = metaWebhookEvents(hook?.body, { receivedAt: 0, phoneNumberId: a.phoneNumberId })?.events;
      expect(events, JSON.stringify(spec)).toEqual([
        expect.objectContaining({
          type: 'message',
          eventId: id,
          from: '+15550600001',
          profileName: 'Ana',
          content: expect.objectContaining(content),
        }),
      ]);
    }
    const missing = await jsonRequest(`${base}/_control/inbound`, {
      body: { phoneNumberId: a.phoneNumberId, from: '+15550600001', type: 'reaction' },
    });
    expect(missing.status).toBe(400);
  });

  it('marks an inbound message read (with a typing indicator) and refuses unknown ids with 100', async () => {
    const a = await provision();
    const id = await userWrites(a, '+15550700001');
    const read = await send(a, { messaging_product: 'whatsapp', status: 'read', message_id: id });
    expect([read.status, read.json]).toEqual([200, { success: true }]);
    const typing = await send(a, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: id,
      typing_indicator: { type: 'text' },
    });
    expect(typing.status).toBe(200);
    const unknown = await send(a, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.nope',
    });
    expect([unknown.status, errorOf(unknown.json).code]).toEqual([400, 100]);
  });
});

describe('WhatsApp sandbox: injected faults', () => {
  it('turns faults into Meta’s own errors, and a hung answer after the message was accepted', async () => {
    const a = await provision();
    await userWrites(a, '+15550800001');
    sandbox.context.faults.configure('whatsapp', { errorRate: 1 });
    const error = await send(a, text('15550800001'));
    expect([error.status, errorOf(error.json).code]).toEqual([500, 131000]);
    sandbox.context.faults.configure('whatsapp', { errorRate: 0, throttleRate: 1 });
    const throttled = await send(a, text('15550800001'));
    expect([throttled.status, errorOf(throttled.json).code]).toEqual([400, 130429]);
    sandbox.context.faults.configure('whatsapp', { throttleRate: 0, timeoutRate: 1, timeoutMs: 150 });
    const before = sandbox.context.counters.totals().total;
    const started = Date.now();
    const hung = await send(a, text('15550800001'));
    expect(hung.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sandbox.context.counters.totals().total).toBe(before + 1);
  });
});
