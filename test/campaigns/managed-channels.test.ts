import { afterEach, beforeEach, expect, it } from 'vitest';
import { eventually, type LiveHerald, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { activitiesWhen, type CampaignApp, campaignApp } from './campaign-harness.js';

/**
 * The custom channels a campaign manages for its `deliveryUri` or `functionName` (`campaign-<id>-<treatment>`):
 * they hold the campaign's receiver and its sealed headers, so they change only with a campaign that was saved,
 * go away with what no longer uses them, and carry nothing but their campaign's messages.
 */
describeEachDatabase('channels a campaign manages', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    // A WhatsApp channel ("wa") and no custom channel of the app's own.
    app = await campaignApp(live);
  });
  afterEach(() => live.stop());

  const receiver = async (id: string, authorization?: string) =>
    (
      await live.call('POST', '/sandbox/custom/_control/receivers', {
        body: { id, ...(authorization ? { authorization } : {}) },
      })
    ).body as { id: string; deliveryUri: string };
  const batches = async (id: string) =>
    (await live.call('GET', `/sandbox/custom/_control/receivers/${id}/batches`)).body.items as {
      endpointIds: string[];
    }[];
  const audience = async (n: number) => {
    const items = Array.from({ length: n }, (_, i) => ({
      id: `ep-${i}`,
      channelType: 'CUSTOM',
      address: `user-${i}@example.com`,
    }));
    expect((await app.call('PUT', '/endpoints', { items })).status).toBe(200);
    return (await app.call('POST', '/segments', { name: 'all' })).body.id as string;
  };
  const custom = (target: Record<string, unknown>) => ({
    channelType: 'CUSTOM',
    endpointTypes: ['CUSTOM'],
    data: '{}',
    ...target,
  });
  const channelIds = async () =>
    ((await app.call('GET', '/channels')).body.items as { id: string }[]).map((c) => c.id);

  it('changes nothing when a PUT is refused: the run goes to the saved receiver, with its header', async () => {
    const good = await receiver('r-good', 'Bearer g00d');
    const other = await receiver('r-other');
    const segmentId = await audience(3);
    const created = await app.call('POST', '/campaigns', {
      name: 'cp',
      segmentId,
      message: custom({ deliveryUri: good.deliveryUri, headers: { authorization: 'Bearer g00d' } }),
      schedule: { startTime: new Date(live.clock.now() + 45_000).toISOString() },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    // The second treatment names a channel that does not exist: refused after the first one's receiver passed.
    const missing = await app.call('PUT', `/campaigns/${id}`, {
      name: 'cp',
      segmentId,
      treatments: [
        { sizePercent: 50, message: custom({ deliveryUri: other.deliveryUri }) },
        { sizePercent: 50, message: custom({ channelId: 'nope' }) },
      ],
      schedule: { startTime: new Date(live.clock.now() + 45_000).toISOString() },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({
      code: 'HERALD_CHANNEL_NOT_CONFIGURED',
      field: 'treatments[1].message.channelId',
    });
    // The second treatment's receiver fails Pinpoint's HEAD check (404).
    const unreachable = await app.call('PUT', `/campaigns/${id}`, {
      name: 'cp',
      segmentId,
      treatments: [
        { sizePercent: 50, message: custom({ deliveryUri: other.deliveryUri }) },
        { sizePercent: 50, message: custom({ deliveryUri: `${live.url}/sandbox/custom/receivers/nobody` }) },
      ],
      schedule: { startTime: new Date(live.clock.now() + 45_000).toISOString() },
    });
    expect(unreachable.status).toBe(422);
    expect(unreachable.body.error).toMatchObject({
      code: 'HERALD_CHANNEL_CREDENTIALS_REJECTED',
      field: 'treatments[1].message.deliveryUri',
    });

    const after = await app.call('GET', `/campaigns/${id}`);
    expect(after.body).toMatchObject({
      version: 1,
      treatments: [{ message: { deliveryUri: good.deliveryUri } }],
    });
    expect(await channelIds()).toEqual([`campaign-${id}-0`, 'wa']);
    const channel = await app.call('GET', `/channels/campaign-${id}-0`);
    expect(channel.body.options).toMatchObject({ deliveryUri: good.deliveryUri });

    live.clock.advance(60_000);
    const [run] = await activitiesWhen(app, id, (i) => i[0]?.state === 'COMPLETED', 'the run');
    // The saved receiver got every message, with its authorization header (it refuses any without).
    expect(run).toMatchObject({ queued: 3, sent: 3, failed: {} });
    expect((await batches('r-good')).flatMap((b) => b.endpointIds).sort()).toEqual(['ep-0', 'ep-1', 'ep-2']);
    expect(await batches('r-other')).toEqual([]);

    // A completed campaign keeps its channel (its messages name it) until it is deleted.
    expect((await app.call('GET', `/campaigns/${id}`)).body.state).toBe('COMPLETED');
    expect(await channelIds()).toEqual([`campaign-${id}-0`, 'wa']);
    expect((await app.call('DELETE', `/campaigns/${id}`)).status).toBe(204);
    expect(await channelIds()).toEqual(['wa']);
  });

  it('leaves no channel behind when a create is refused', async () => {
    const good = await receiver('r-good');
    const segmentId = await audience(1);
    const refusals = [
      [custom({ functionName: 'notregistered' }), 'treatments[1].message.functionName'],
      [
        custom({ deliveryUri: `${live.url}/sandbox/custom/receivers/nobody` }),
        'treatments[1].message.deliveryUri',
      ],
      [custom({ channelId: 'nope' }), 'treatments[1].message.channelId'],
    ] as const;
    for (const [second, field] of refusals) {
      const refused = await app.call('POST', '/campaigns', {
        name: 'x',
        segmentId,
        treatments: [
          { sizePercent: 50, message: custom({ deliveryUri: good.deliveryUri }) },
          { sizePercent: 50, message: second },
        ],
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body.error.field).toBe(field);
    }
    expect(await channelIds()).toEqual(['wa']);
    expect((await app.call('GET', '/campaigns')).body.items).toEqual([]);
  });

  it('removes the channels a PUT no longer uses, and keeps one while an earlier run still sends through it', async () => {
    const first = await receiver('r-first');
    const second = await receiver('r-second');
    const segmentId = await audience(6);
    const later = new Date(live.clock.now() + 3_600_000).toISOString();
    const created = await app.call('POST', '/campaigns', {
      name: 'two receivers',
      segmentId,
      treatments: [
        { sizePercent: 50, message: custom({ deliveryUri: first.deliveryUri }) },
        { sizePercent: 50, message: custom({ deliveryUri: second.deliveryUri }) },
      ],
      schedule: { startTime: later },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(await channelIds()).toEqual([`campaign-${id}-0`, `campaign-${id}-1`, 'wa']);

    // One treatment left, on WhatsApp: neither managed channel is used any more.
    const template = await app.call('POST', '/templates', {
      kind: 'whatsapp',
      name: 'hello',
      languages: [{ language: 'en_US', body: { text: 'Hello' } }],
    });
    expect(template.status, JSON.stringify(template.body)).toBe(201);
    const toWhatsApp = await app.call('PUT', `/campaigns/${id}`, {
      name: 'two receivers',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId: template.body.id },
      schedule: { startTime: later },
    });
    expect(toWhatsApp.status, JSON.stringify(toWhatsApp.body)).toBe(200);
    expect(await channelIds()).toEqual(['wa']);

    // Back to a receiver, daily from now, at one message a second: the run's messages wait in the queue for its
    // channel.
    const daily = { startTime: 'IMMEDIATE', frequency: 'DAILY' };
    const back = await app.call('PUT', `/campaigns/${id}`, {
      name: 'two receivers',
      segmentId,
      message: custom({ deliveryUri: first.deliveryUri }),
      schedule: daily,
      limits: { messagesPerSecond: 1 },
    });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    await activitiesWhen(app, id, (i) => i[0]?.queued === 6, 'the fan-out');
    // Paused, the run keeps its messages queued for as long as the test needs.
    expect((await app.call('POST', `/campaigns/${id}/pause`)).status).toBe(200);
    const toWhatsAppAgain = await app.call('PUT', `/campaigns/${id}`, {
      name: 'two receivers',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId: template.body.id },
      schedule: daily,
    });
    expect(toWhatsAppAgain.status, JSON.stringify(toWhatsAppAgain.body)).toBe(200);
    // The run's messages still go out through the channel they were queued for.
    expect(await channelIds()).toEqual([`campaign-${id}-0`, 'wa']);
    expect((await app.call('POST', `/campaigns/${id}/resume`)).status).toBe(200);
    const [run] = await activitiesWhen(app, id, (i) => i[0]?.state === 'COMPLETED', 'the run');
    expect(run).toMatchObject({ queued: 6, sent: 6, failed: {} });
    expect((await batches('r-first')).flatMap((b) => b.endpointIds).sort()).toEqual([
      'ep-0',
      'ep-1',
      'ep-2',
      'ep-3',
      'ep-4',
      'ep-5',
    ]);

    // Once nothing waits for it, the next saved version removes it.
    expect((await app.call('GET', `/campaigns/${id}`)).body.state).toBe('PENDING_NEXT_RUN');
    const renamed = await app.call('PUT', `/campaigns/${id}`, {
      name: 'renamed',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId: template.body.id },
      schedule: daily,
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(await channelIds()).toEqual(['wa']);
  });

  it('never sends anything but its campaign’s messages: no default channel, not nameable elsewhere', async () => {
    const secret = await receiver('r-secret', 'Bearer s3cret');
    const segmentId = await audience(1);
    const created = await app.call('POST', '/campaigns', {
      name: 'private receiver',
      segmentId,
      message: custom({ deliveryUri: secret.deliveryUri, headers: { authorization: 'Bearer s3cret' } }),
      schedule: { startTime: new Date(live.clock.now() + 3_600_000).toISOString() },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const managed = `campaign-${created.body.id}-0`;

    // The app has no custom channel of its own: a direct send is refused as without any.
    const direct = await app.call('POST', '/messages', { channelType: 'CUSTOM', to: 'custom-1', text: 'hi' });
    expect(direct.status, JSON.stringify(direct.body)).toBe(422);
    expect(direct.body.error).toMatchObject({ code: 'HERALD_CHANNEL_NOT_CONFIGURED', field: 'channelType' });
    // Naming it is refused too, in a send and in another campaign.
    const named = await app.call('POST', '/messages', {
      channelType: 'CUSTOM',
      channelId: managed,
      to: 'custom-1',
      text: 'hi',
    });
    expect(named.status, JSON.stringify(named.body)).toBe(422);
    expect(named.body.error).toMatchObject({ code: 'HERALD_CHANNEL_NOT_CONFIGURED', field: 'channelId' });
    const borrowing = await app.call('POST', '/campaigns', {
      name: 'borrowing',
      segmentId,
      message: custom({ channelId: managed }),
    });
    expect(borrowing.status, JSON.stringify(borrowing.body)).toBe(422);
    expect(borrowing.body.error).toMatchObject({
      code: 'HERALD_CHANNEL_NOT_CONFIGURED',
      field: 'message.channelId',
    });
    // Its id cannot be taken over through the channels API either.
    const takeover = await app.call('PUT', `/channels/${managed}`, {
      provider: 'custom',
      sender: { name: 'mine' },
      credentials: {},
      options: { deliveryUri: secret.deliveryUri },
    });
    expect(takeover.status, JSON.stringify(takeover.body)).toBe(400);
    expect(takeover.body.error).toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'channelId' });
    expect(await channelIds()).toEqual([managed, 'wa']);
    expect((await app.call('GET', `/channels/${managed}`)).body.options).toMatchObject({
      deliveryUri: secret.deliveryUri,
    });

    // With a custom channel of the app's own, direct sends use it, though the campaign's sorts first.
    const own = await receiver('r-own');
    const put = await app.call('PUT', '/channels/custom', {
      provider: 'custom',
      sender: { name: 'own' },
      credentials: {},
      options: { deliveryUri: own.deliveryUri },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const sent = await app.call('POST', '/messages', { channelType: 'CUSTOM', to: 'custom-1', text: 'hi' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const message = await eventually(async () => {
      const got = await app.call('GET', `/messages/${sent.body.messageId}`);
      return got.body.status === 'sent' ? got.body : undefined;
    }, 'the direct message to be sent');
    expect(message.channelId).toBe('custom');
    expect(await batches('r-own')).toHaveLength(1);
    expect(await batches('r-secret')).toEqual([]);
  });
});
