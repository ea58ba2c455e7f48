import { afterEach, beforeEach, expect, it } from 'vitest';
import { type LiveHerald, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { activitiesWhen, type CampaignApp, campaignApp, phone, sandboxMessages } from './campaign-harness.js';

describeEachDatabase('a segment campaign with personalised templates, through the sandbox', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await campaignApp(live);
  });
  afterEach(() => live.stop());

  it('syncs the WhatsApp templates, sends each endpoint its own template message, and skips what cannot be filled', async () => {
    const synced = await app.call('POST', '/templates/sync?channelId=wa');
    expect(synced.status, JSON.stringify(synced.body)).toBe(200);
    const orderUpdate = synced.body.created.find((t: { name: string }) => t.name === 'order_update');
    expect(orderUpdate.languages.map((l: { language: string }) => l.language).sort()).toEqual([
      'en_US',
      'es',
    ]);
    expect(orderUpdate.variables.map((v: { name: string }) => v.name)).toEqual([
      'header.media',
      'body.1',
      'body.2',
      'body.3',
      'buttons.0.payload',
      'buttons.1.url',
    ]);
    // A template WhatsApp has paused cannot carry a campaign: every message would fail (132015).
    const paused = synced.body.created.find((t: { name: string }) => t.name === 'spring_sale');
    const everyone = (await app.call('POST', '/segments', { name: 'everyone' })).body.id;
    const refused = await app.call('POST', '/campaigns', {
      name: 'paused',
      segmentId: everyone,
      message: { channelType: 'WHATSAPP', templateId: paused.id },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'HERALD_TEMPLATE_NOT_APPROVED',
      field: 'message.templateId',
    });
    expect(refused.body.error.message).toContain('PAUSED');
    // A second sync changes nothing.
    const again = await app.call('POST', '/templates/sync?channelId=wa');
    expect(again.body.created).toEqual([]);
    expect(again.body.unchanged.length).toBe(synced.body.created.length);

    const people = [
      { id: 'ep-ana', first: 'Ana', locale: 'es_MX', order: 'A-1' },
      { id: 'ep-bob', first: 'Bob', locale: 'en_US', order: undefined },
      { id: 'ep-cy', first: 'Cy', locale: 'fr_FR', order: 'C-3' },
      { id: 'ep-dee', first: undefined, locale: 'en_US', order: 'D-4' },
      { id: 'ep-eve', first: 'Eve', locale: 'en_US', order: 'E-5', optOut: 'ALL' },
    ];
    const items = [
      ...people.map((p, i) => ({
        id: p.id,
        channelType: 'WHATSAPP',
        address: phone(i),
        demographic: { locale: p.locale },
        ...(p.optOut ? { optOut: p.optOut } : {}),
        ...(p.first ? { user: { userId: `u-${p.id}`, userAttributes: { FirstName: [p.first] } } } : {}),
        ...(p.order ? { attributes: { OrderId: [p.order] } } : {}),
      })),
      {
        id: 'ep-sms',
        channelType: 'SMS',
        address: phone(9),
        user: { userAttributes: { FirstName: ['Sam'] } },
      },
    ];
    const put = await app.call('PUT', '/endpoints', { items });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const segment = await app.call('POST', '/segments', { name: 'everyone' });
    expect(segment.status).toBe(201);

    const created = await app.call('POST', '/campaigns', {
      name: 'Order updates',
      segmentId: segment.body.id,
      message: {
        channelType: 'WHATSAPP',
        templateId: orderUpdate.id,
        fallbackLanguage: 'en_US',
        variables: {
          'header.media': { value: 'https://cdn.example.com/box.jpg' },
          'body.1': { field: 'User.UserAttributes.FirstName' },
          'body.2': { field: 'Attributes.OrderId', default: 'your order' },
          'body.3': { value: 'Monday' },
          'buttons.1.url': { field: 'Id' },
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ state: 'SCHEDULED', version: 1, runs: 0 });

    const [activity] = await activitiesWhen(
      app,
      created.body.id,
      (items) => items[0]?.state === 'COMPLETED' && items[0].read === 3,
      'the run to complete with every message read',
    );
    expect(activity).toMatchObject({
      trigger: 'schedule',
      result: 'SUCCESS',
      totalEndpoints: 6,
      holdout: 0,
      skipped: { opted_out: 1, other_channel: 1, missing_variable: 1 },
      missingVariables: { 'body.1': 1 },
      optedOut: 1,
      queued: 3,
      pending: 0,
      sent: 3,
      delivered: 3,
      read: 3,
      failed: {},
    });
    expect(activity.treatments).toMatchObject([{ treatmentId: '0', endpoints: 5, queued: 3, read: 3 }]);
    const campaign = await app.call('GET', `/campaigns/${created.body.id}`);
    expect(campaign.body).toMatchObject({ state: 'COMPLETED', runs: 1, nextRunAt: null });

    const sent = await sandboxMessages(live, app.phoneNumberId);
    expect(sent).toHaveLength(3);
    const byRecipient = new Map(sent.map((m) => [m.to.replace(/^\+/, ''), m.message.template]));
    const bodyOf = (i: number) =>
      byRecipient.get(phone(i).slice(1))?.components?.find((c) => c.type === 'body');
    // Ana reads Spanish, Cy's French falls back to en_US; Bob has no order id: its default.
    expect(byRecipient.get(phone(0).slice(1))?.language.code).toBe('es');
    expect(byRecipient.get(phone(2).slice(1))?.language.code).toBe('en_US');
    expect(bodyOf(0)?.parameters).toEqual([
      { type: 'text', text: 'Ana' },
      { type: 'text', text: 'A-1' },
      { type: 'text', text: 'Monday' },
    ]);
    expect(bodyOf(1)?.parameters).toEqual([
      { type: 'text', text: 'Bob' },
      { type: 'text', text: 'your order' },
      { type: 'text', text: 'Monday' },
    ]);
    expect(byRecipient.get(phone(2).slice(1))?.components?.find((c) => c.type === 'button')).toEqual({
      type: 'button',
      sub_type: 'url',
      index: '1',
      parameters: [{ type: 'text', text: 'ep-cy' }],
    });
    // Dee (no first name, no default), Eve (opted out) and the SMS endpoint got nothing.
    expect(byRecipient.has(phone(3).slice(1))).toBe(false);
    expect(byRecipient.has(phone(4).slice(1))).toBe(false);

    // The ledger rows carry the campaign, run and treatment.
    const { body: messages } = await app.call('GET', `/messages?campaignId=${created.body.id}&limit=10`);
    expect(messages.items).toHaveLength(3);
    expect(
      messages.items.every(
        (m: { source: string; templateName: string }) =>
          m.source === 'campaign' && m.templateName === 'order_update',
      ),
    ).toBe(true);
  });

  it('refuses campaigns that could not run, with the field at fault', async () => {
    const segment = (await app.call('POST', '/segments', { name: 'all' })).body.id;
    const template = (
      await app.call('POST', '/templates', {
        kind: 'whatsapp',
        name: 'order_update',
        languages: [{ language: 'en_US', body: { text: 'Hi {{1}}, order {{2}}' } }],
      })
    ).body.id;
    const base = { name: 'c', segmentId: segment };
    const cases: [unknown, number, string, string][] = [
      [
        { ...base, message: { channelType: 'WHATSAPP', templateId: template } },
        400,
        'HERALD_VALIDATION_FAILED',
        'message.variables.body.1',
      ],
      [
        {
          ...base,
          message: {
            channelType: 'WHATSAPP',
            templateId: template,
            variables: { 'body.1': { value: 'x' }, 'body.2': { field: 'Nope' }, 'body.9': { value: 'y' } },
          },
        },
        400,
        'HERALD_VALIDATION_FAILED',
        'message.variables.body.2.field',
      ],
      [
        { ...base, message: { channelType: 'WHATSAPP', templateId: 'missing' } },
        400,
        'HERALD_VALIDATION_FAILED',
        'message.templateId',
      ],
      [
        { ...base, segmentId: 'nope', message: { channelType: 'SMS', text: 'hi' } },
        400,
        'HERALD_VALIDATION_FAILED',
        'segmentId',
      ],
      [
        { ...base, message: { channelType: 'SMS', text: 'hi' } },
        422,
        'HERALD_CHANNEL_NOT_CONFIGURED',
        'message.channelType',
      ],
      [
        { ...base, message: { channelType: 'SMS', channelId: 'wa', text: 'hi' } },
        422,
        'HERALD_CHANNEL_NOT_CONFIGURED',
        'message.channelId',
      ],
      [
        {
          ...base,
          treatments: [
            { sizePercent: 50, message: { channelType: 'WHATSAPP', text: 'a' } },
            { sizePercent: 50, message: { channelType: 'WHATSAPP', channelId: 'nope', text: 'b' } },
          ],
        },
        422,
        'HERALD_CHANNEL_NOT_CONFIGURED',
        'treatments[1].message.channelId',
      ],
      [
        { ...base, message: { channelType: 'WHATSAPP', text: 'Hi {{Nope}}' } },
        400,
        'HERALD_VALIDATION_FAILED',
        'message.text',
      ],
      [
        { ...base, message: { channelType: 'WHATSAPP', text: 'hi' }, limits: { messagesPerSecond: 500 } },
        400,
        'HERALD_VALIDATION_FAILED',
        'limits.messagesPerSecond',
      ],
      [
        { ...base, message: { channelType: 'WHATSAPP', text: 'hi' }, extra: 1 },
        400,
        'HERALD_UNKNOWN_FIELD',
        'extra',
      ],
      [{ ...base }, 400, 'HERALD_VALIDATION_FAILED', 'message'],
      [
        {
          ...base,
          treatments: [
            { sizePercent: 60, message: { channelType: 'WHATSAPP', text: 'a' } },
            { sizePercent: 30, message: { channelType: 'WHATSAPP', text: 'b' } },
          ],
        },
        400,
        'HERALD_VALIDATION_FAILED',
        'treatments',
      ],
      [
        {
          ...base,
          message: { channelType: 'WHATSAPP', text: 'hi' },
          schedule: { startTime: 'IMMEDIATE', isLocalTime: true },
        },
        400,
        'HERALD_VALIDATION_FAILED',
        'schedule.startTime',
      ],
      [
        {
          ...base,
          message: { channelType: 'WHATSAPP', text: 'hi' },
          schedule: { quietTime: { start: '25:00', end: '07:00' } },
        },
        400,
        'HERALD_VALIDATION_FAILED',
        'schedule.quietTime.start',
      ],
      [
        { ...base, message: { channelType: 'WHATSAPP', text: 'hi' }, schedule: { timezone: 'Mars/Olympus' } },
        400,
        'HERALD_VALIDATION_FAILED',
        'schedule.timezone',
      ],
      [
        { ...base, message: { channelType: 'CUSTOM', endpointTypes: ['SMS'], data: 'x' } },
        400,
        'HERALD_VALIDATION_FAILED',
        'message.deliveryUri',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const response = await app.call('POST', '/campaigns', body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.error, JSON.stringify(body)).toMatchObject({ code, field });
    }
    expect((await app.call('GET', '/campaigns')).body.items).toEqual([]);
    expect((await app.call('GET', '/campaigns/nope')).status).toBe(404);
    expect((await app.call('POST', '/campaigns/nope/pause')).status).toBe(404);
  });
});
