import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

const ORDER_UPDATE = {
  kind: 'whatsapp',
  name: 'order_update',
  category: 'UTILITY',
  languages: [
    {
      language: 'en_US',
      header: { format: 'IMAGE' },
      body: { text: 'Hi {{1}}, your order {{2}} ships on {{3}}.' },
      footer: { text: 'Reply STOP to opt out' },
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirm' },
        { type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}' },
      ],
    },
    {
      language: 'es',
      header: { format: 'IMAGE' },
      body: { text: 'Hola {{1}}, tu pedido {{2}} sale el {{3}}.' },
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirmar' },
        { type: 'URL', text: 'Seguir', url: 'https://shop.example.com/track/{{1}}' },
      ],
    },
  ],
};

describeEachDatabase('templates over HTTP', (db) => {
  let herald: Herald;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  beforeEach(async () => {
    herald = await createTestHerald(db());
    app = await createTestApp(herald);
  });
  afterEach(() => herald.stop());

  const request = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) =>
    herald.server.inject({
      method,
      url: `/v1/apps/${app.appId}${path}`,
      headers: app.headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('creates a WhatsApp template with several languages and reports its variables', async () => {
    const created = await request('POST', '/templates', ORDER_UPDATE);
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      name: 'order_update',
      version: 1,
      kind: 'whatsapp',
      parameterFormat: 'POSITIONAL',
    });
    expect(body.variables).toEqual([
      { name: 'header.media', component: 'header', type: 'image', required: true },
      { name: 'body.1', component: 'body', type: 'text', required: true },
      { name: 'body.2', component: 'body', type: 'text', required: true },
      { name: 'body.3', component: 'body', type: 'text', required: true },
      { name: 'buttons.0.payload', component: 'button', type: 'payload', required: false },
      { name: 'buttons.1.url', component: 'button', type: 'url_suffix', required: true },
    ]);
    const named = await request('POST', '/templates', {
      kind: 'whatsapp',
      name: 'welcome_offer',
      parameterFormat: 'NAMED',
      category: 'MARKETING',
      languages: [
        {
          language: 'en_US',
          header: { format: 'TEXT', text: 'Welcome {{first_name}}' },
          body: { text: 'Hi {{first_name}}, enjoy 10% off at {{shop_name}}.' },
          buttons: [{ type: 'COPY_CODE', example: 'WELCOME10' }],
        },
      ],
    });
    expect(named.statusCode, named.body).toBe(201);
    expect(named.json().variables.map((v: { name: string }) => v.name)).toEqual([
      'header.first_name',
      'body.first_name',
      'body.shop_name',
      'buttons.0.code',
    ]);
  });

  it('creates a text template whose placeholders are endpoint fields, with defaults', async () => {
    const created = await request('POST', '/templates', {
      kind: 'message',
      name: 'Spring SMS',
      text: 'Hi {{User.UserAttributes.FirstName}}, our {{Location.City}} store opens at 9.',
      defaults: { 'Location.City': 'nearest' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().variables).toEqual([
      { name: 'User.UserAttributes.FirstName', component: 'text', type: 'text', required: true },
      { name: 'Location.City', component: 'text', type: 'text', required: false, default: 'nearest' },
    ]);
    const media = await request('POST', '/templates', {
      kind: 'message',
      name: 'Voice note',
      media: {
        type: 'audio',
        url: 'https://cdn.example.com/{{Attributes.Lang}}/hello.m4a',
        durationMs: 4000,
      },
    });
    expect(media.statusCode, media.body).toBe(201);
    expect(media.json().variables).toEqual([
      { name: 'Attributes.Lang', component: 'media', type: 'text', required: true },
    ]);
  });

  it('refuses bad templates with the field and reason', async () => {
    const cases: [unknown, string, string][] = [
      [{ ...ORDER_UPDATE, extra: 1 }, 'HERALD_UNKNOWN_FIELD', 'extra'],
      [{ kind: 'message', name: 'x', text: 'Hi {{Person.Name}}' }, 'HERALD_VALIDATION_FAILED', 'text'],
      [{ kind: 'message', name: 'x', text: 'Hi {{#User}}x{{/User}}' }, 'HERALD_VALIDATION_FAILED', 'text'],
      [{ kind: 'message', name: 'x', text: 'Hi {{Address' }, 'HERALD_VALIDATION_FAILED', 'text'],
      [{ kind: 'message', name: 'x' }, 'HERALD_VALIDATION_FAILED', 'text'],
      [
        {
          kind: 'message',
          name: 'x',
          text: 'Hi',
          media: { type: 'image', url: 'https://cdn.example.com/a.jpg' },
        },
        'HERALD_VALIDATION_FAILED',
        'text',
      ],
      [
        {
          kind: 'whatsapp',
          name: 'gap',
          languages: [{ language: 'en_US', body: { text: 'Hi {{1}} {{3}}' } }],
        },
        'HERALD_VALIDATION_FAILED',
        'languages[0].body.text',
      ],
      [
        {
          kind: 'whatsapp',
          name: 'mixed',
          languages: [{ language: 'en_US', body: { text: 'Hi {{name}}' } }],
        },
        'HERALD_VALIDATION_FAILED',
        'languages[0].body.text',
      ],
      [
        { kind: 'whatsapp', name: 'Bad Name', languages: [{ language: 'en_US', body: { text: 'Hi' } }] },
        'HERALD_VALIDATION_FAILED',
        'name',
      ],
      [
        {
          kind: 'whatsapp',
          name: 'url_mid',
          languages: [
            {
              language: 'en_US',
              body: { text: 'Hi' },
              buttons: [{ type: 'URL', text: 'Go', url: 'https://x.example.com/{{1}}/track' }],
            },
          ],
        },
        'HERALD_VALIDATION_FAILED',
        'languages[0].buttons[0].url',
      ],
    ];
    for (const [payload, code, field] of cases) {
      const response = await request('POST', '/templates', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error, JSON.stringify(payload)).toMatchObject({ code, field });
    }
    await request('POST', '/templates', ORDER_UPDATE);
    const duplicate = await request('POST', '/templates', ORDER_UPDATE);
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error).toMatchObject({ code: 'HERALD_CONFLICT', field: 'name' });
  });

  it('versions updates, keeps old versions readable, and deletes', async () => {
    const id = (await request('POST', '/templates', { kind: 'message', name: 'n', text: 'One' })).json().id;
    const updated = await request('PUT', `/templates/${id}`, { kind: 'message', text: 'Two {{Address}}' });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ version: 2, name: 'n', text: 'Two {{Address}}' });
    expect((await request('GET', `/templates/${id}?version=1`)).json().text).toBe('One');
    expect((await request('GET', `/templates/${id}`)).json().version).toBe(2);
    expect(
      (await request('GET', `/templates/${id}/versions`))
        .json()
        .items.map((t: { version: number }) => t.version),
    ).toEqual([2, 1]);
    expect((await request('GET', '/templates')).json().items).toHaveLength(1);
    const kind = await request('PUT', `/templates/${id}`, {
      kind: 'whatsapp',
      languages: [{ language: 'en', body: { text: 'x' } }],
    });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().error.field).toBe('kind');
    expect((await request('GET', `/templates/${id}?version=9`)).statusCode).toBe(404);
    expect((await request('DELETE', `/templates/${id}`)).statusCode).toBe(204);
    expect((await request('GET', `/templates/${id}`)).statusCode).toBe(404);
    expect((await request('DELETE', `/templates/${id}`)).statusCode).toBe(404);
  });

  it('previews the exact provider payload from an endpoint or from given values', async () => {
    const channel = await request('PUT', '/channels/wa', {
      provider: 'whatsapp-cloud',
      sender: { phoneNumberId: '106540352242922' },
      credentials: {
        accessToken: 'EAAG-test-token-123456',
        appSecret: 'app-secret-1',
        verifyToken: 'verify-token-1',
      },
      validate: false,
    });
    expect(channel.statusCode, channel.body).toBe(200);
    await request('PUT', '/endpoints/e1', {
      channelType: 'WHATSAPP',
      address: '+16505551234',
      demographic: { locale: 'es_MX' },
      user: { userId: 'u1', userAttributes: { FirstName: ['Ana'] } },
      attributes: { LastOrder: ['A-1023'] },
    });
    const id = (await request('POST', '/templates', ORDER_UPDATE)).json().id;
    const mapping = {
      'header.media': { value: 'https://cdn.example.com/box.jpg' },
      'body.1': { field: 'User.UserAttributes.FirstName', default: 'cliente' },
      'body.2': { field: 'Attributes.LastOrder' },
      'body.3': { value: 'lunes' },
      'buttons.1.url': { field: 'Attributes.LastOrder' },
    };
    const preview = await request('POST', `/templates/${id}/preview`, { endpointId: 'e1', mapping });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({
      channelId: 'wa',
      provider: 'whatsapp-cloud',
      operation: 'POST /v23.0/106540352242922/messages',
    });
    expect(preview.json().payload).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      biz_opaque_callback_data: 'preview',
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'es' },
        components: [
          {
            type: 'header',
            parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/box.jpg' } }],
          },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: 'A-1023' },
              { type: 'text', text: 'lunes' },
            ],
          },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'A-1023' }] },
        ],
      },
    });

    // Given values win; an unfilled variable is an error naming each one, never a half-built payload.
    const missing = await request('POST', `/templates/${id}/preview`, {
      variables: { 'body.1': 'Jo' },
      language: 'en_US',
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.code).toBe('HERALD_TEMPLATE_VARIABLE_MISSING');
    expect(missing.json().error.details.map((d: { field: string }) => d.field)).toEqual([
      'variables.header.media',
      'variables.body.2',
      'variables.body.3',
      'variables.buttons.1.url',
    ]);
    // WhatsApp refuses blank parameters: a blank value is no value (the mapping applies, else it is missing).
    const blank = await request('POST', `/templates/${id}/preview`, {
      endpointId: 'e1',
      mapping: { ...mapping, 'body.3': { value: ' ' } },
      variables: { 'body.1': '' },
    });
    expect(blank.statusCode).toBe(422);
    expect(blank.json().error.details.map((d: { field: string }) => d.field)).toEqual(['variables.body.3']);
    const fromMapping = await request('POST', `/templates/${id}/preview`, {
      endpointId: 'e1',
      mapping,
      variables: { 'body.1': '' },
    });
    expect(fromMapping.json().payload.template.components[1].parameters[0]).toEqual({
      type: 'text',
      text: 'Ana',
    });

    const sms = (
      await request('POST', '/templates', {
        kind: 'message',
        name: 'hello',
        text: 'Hola {{User.UserAttributes.FirstName}} ({{Attributes.Tier}})',
        defaults: { 'Attributes.Tier': 'basic' },
      })
    ).json().id;
    const text = await request('POST', `/templates/${sms}/preview`, { endpointId: 'e1' });
    expect(text.statusCode, text.body).toBe(200);
    expect(text.json().payload).toMatchObject({ type: 'text', text: { body: 'Hola Ana (basic)' } });
    const noChannel = await request('POST', `/templates/${sms}/preview`, {
      endpointId: 'e1',
      channelType: 'LINE',
    });
    expect(noChannel.statusCode).toBe(422);
    expect(noChannel.json().error.code).toBe('HERALD_CHANNEL_NOT_CONFIGURED');
    const unknown = await request('POST', `/templates/${sms}/preview`, { endpointId: 'nobody' });
    expect(unknown.statusCode).toBe(404);
    const strict = await request('POST', `/templates/${sms}/preview`, { endpointId: 'e1', extra: true });
    expect(strict.statusCode).toBe(400);
    expect(strict.json().error.code).toBe('HERALD_UNKNOWN_FIELD');
  });
});
