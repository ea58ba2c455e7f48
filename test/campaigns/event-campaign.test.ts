import { afterEach, beforeEach, expect, it } from 'vitest';
import { eventually, type LiveHerald, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { activitiesWhen, type CampaignApp, campaignApp, phone, sandboxMessages } from './campaign-harness.js';

describeEachDatabase('an event-triggered campaign, through the sandbox', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await campaignApp(live);
  });
  afterEach(() => live.stop());

  it('messages an endpoint of its segment within seconds of a matching event, and nobody else', async () => {
    const put = await app.call('PUT', '/endpoints', {
      items: [
        { id: 'gold-1', channelType: 'WHATSAPP', address: phone(1), attributes: { Tier: ['gold'] } },
        { id: 'silver', channelType: 'WHATSAPP', address: phone(2), attributes: { Tier: ['silver'] } },
        { id: 'gold-3', channelType: 'WHATSAPP', address: phone(3), attributes: { Tier: ['gold'] } },
      ],
    });
    expect(put.status).toBe(200);
    const segment = await app.call('POST', '/segments', {
      name: 'gold',
      dimensions: { attributes: { Tier: { attributeType: 'INCLUSIVE', values: ['gold'] } } },
    });
    const templateId = (
      await app.call('POST', '/templates', {
        kind: 'whatsapp',
        name: 'consent_request',
        languages: [
          {
            language: 'en_US',
            body: { text: 'Hi {{1}}, we have an update for you. Tap below to see it.' },
            buttons: [{ type: 'QUICK_REPLY', text: 'Show me' }],
          },
        ],
      })
    ).body.id;
    const created = await app.call('POST', '/campaigns', {
      name: 'thanks for buying',
      segmentId: segment.body.id,
      message: {
        channelType: 'WHATSAPP',
        templateId,
        variables: { 'body.1': { field: 'Attributes.Tier' } },
      },
      schedule: {
        frequency: 'EVENT',
        eventFilter: {
          eventType: { dimensionType: 'INCLUSIVE', values: ['purchase'] },
          metrics: { total: { comparisonOperator: 'GREATER_THAN', value: 10 } },
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.state).toBe('EXECUTING');

    const started = Date.now();
    const events = await app.call('POST', '/events', [
      { endpointId: 'gold-1', eventType: 'purchase', metrics: { total: 42 } },
      { endpointId: 'silver', eventType: 'purchase', metrics: { total: 50 } },
      { endpointId: 'gold-3', eventType: 'purchase', metrics: { total: 5 } },
      { endpointId: 'gold-3', eventType: 'browse', attributes: { page: 'home' } },
    ]);
    expect(events.status, JSON.stringify(events.body)).toBe(202);
    expect(events.body).toMatchObject({
      accepted: 4,
      triggered: [{ campaignId: created.body.id, endpoints: 2, queued: 1 }],
    });
    const message = await eventually(
      async () =>
        (await sandboxMessages(live, app.phoneNumberId)).find((m) => m.to.endsWith(phone(1).slice(1))),
      'the message to gold-1',
      5_000,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(message.message.template?.components?.[0]?.parameters).toEqual([{ type: 'text', text: 'gold' }]);
    const [run] = await activitiesWhen(app, created.body.id, (i) => i[0]?.state === 'COMPLETED', 'the run');
    expect(run).toMatchObject({ trigger: 'event', totalEndpoints: 1, queued: 1, sent: 1 });
    expect(await sandboxMessages(live, app.phoneNumberId)).toHaveLength(1);

    // The events moved the endpoints' activity on (segments' recency).
    const gold3 = await app.call('GET', '/endpoints/gold-3');
    expect(gold3.body.lastActiveAt).toBeDefined();

    // Paused, it ignores events; resumed, it listens again.
    expect((await app.call('POST', `/campaigns/${created.body.id}/pause`)).body.state).toBe('PAUSED');
    const ignored = await app.call('POST', '/events', [
      { endpointId: 'gold-3', eventType: 'purchase', metrics: { total: 99 } },
    ]);
    expect(ignored.body.triggered).toEqual([]);
    expect((await app.call('POST', `/campaigns/${created.body.id}/resume`)).body.state).toBe('EXECUTING');
    const again = await app.call('POST', '/events', [
      { endpointId: 'gold-3', eventType: 'purchase', metrics: { total: 99 } },
    ]);
    expect(again.body.triggered).toMatchObject([{ queued: 1 }]);
    await eventually(
      async () =>
        (await sandboxMessages(live, app.phoneNumberId)).some((m) => m.to.endsWith(phone(3).slice(1))),
      'the message to gold-3',
      5_000,
    );
  });

  it('refuses events for unknown endpoints, and malformed events, recording nothing', async () => {
    await app.call('PUT', '/endpoints/known', { channelType: 'WHATSAPP', address: phone(1) });
    const unknown = await app.call('POST', '/events', [
      { endpointId: 'known', eventType: 'purchase' },
      { endpointId: 'ghost', eventType: 'purchase' },
    ]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      code: 'HERALD_BATCH_INVALID',
      details: [{ index: 1, field: 'endpointId' }],
    });
    expect((await app.call('GET', '/endpoints/known')).body.lastActiveAt).toBeUndefined();
    const bad: [unknown, string][] = [
      [[], 'HERALD_VALIDATION_FAILED'],
      [[{ endpointId: 'known' }], 'HERALD_VALIDATION_FAILED'],
      [[{ endpointId: 'known', eventType: 'x', timestamp: 'yesterday' }], 'HERALD_VALIDATION_FAILED'],
      [[{ endpointId: 'known', eventType: 'x', extra: 1 }], 'HERALD_UNKNOWN_FIELD'],
    ];
    for (const [body, code] of bad) {
      const response = await app.call('POST', '/events', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code, JSON.stringify(body)).toBe(code);
    }
  });
});
