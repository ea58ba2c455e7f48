import { afterEach, beforeEach, expect, it } from 'vitest';
import { type LiveHerald, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { activitiesWhen, type CampaignApp, campaignApp, phone, sandboxMessages } from './campaign-harness.js';

const HOUR = 3_600_000;

describeEachDatabase('treatments, holdout and pace, through the sandbox', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  let consentTemplate: string;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await campaignApp(live, { messagesPerSecond: 1000, sandboxMessagesPerSecond: 2000 });
    consentTemplate = (
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
  });
  afterEach(() => live.stop());

  const audience = async (n: number) => {
    const items = Array.from({ length: n }, (_, i) => ({
      id: `ep-${String(i).padStart(4, '0')}`,
      channelType: 'WHATSAPP',
      address: phone(i),
    }));
    for (let i = 0; i < items.length; i += 100) {
      const put = await app.call('PUT', '/endpoints', { items: items.slice(i, i + 100) });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    }
    return (await app.call('POST', '/segments', { name: 'all' })).body.id as string;
  };
  const treatment = (name: string, sizePercent: number) => ({
    name,
    sizePercent,
    message: {
      channelType: 'WHATSAPP',
      templateId: consentTemplate,
      variables: { 'body.1': { value: name } },
    },
  });
  const ledger = async (campaignId: string) => {
    const items: { endpointId: string; treatmentId: string; activityId: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: typeof items; nextCursor: string | null } } = await app.call(
        'GET',
        `/messages?campaignId=${campaignId}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  };

  it('splits the audience into holdout and treatments by their shares, the same way on every run', async () => {
    const segmentId = await audience(400);
    const created = await app.call('POST', '/campaigns', {
      name: 'A/B/C',
      segmentId,
      holdoutPercent: 20,
      treatments: [treatment('A', 50), treatment('B', 30), treatment('C', 20)],
      schedule: { frequency: 'HOURLY' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.treatments.map((t: { id: string }) => t.id)).toEqual(['0', '1', '2']);
    const [first] = await activitiesWhen(
      app,
      created.body.id,
      (i) => i[0]?.state === 'COMPLETED',
      'the first run',
      30_000,
    );
    expect(first.totalEndpoints).toBe(400);
    expect(Math.abs(first.holdout - 80)).toBeLessThan(30);
    const shares = Object.fromEntries(
      first.treatments.map((t: { treatmentId: string; queued: number }) => [t.treatmentId, t.queued]),
    );
    const sent = 400 - first.holdout;
    expect(first.queued).toBe(sent);
    expect(Math.abs(shares['0'] - sent * 0.5)).toBeLessThan(30);
    expect(Math.abs(shares['1'] - sent * 0.3)).toBeLessThan(30);
    expect(Math.abs(shares['2'] - sent * 0.2)).toBeLessThan(30);

    // Each recipient got its treatment's message.
    const rows = await ledger(created.body.id);
    const byEndpoint = new Map(rows.map((r) => [r.endpointId, r.treatmentId]));
    const names = ['A', 'B', 'C'];
    for (const m of await sandboxMessages(live, app.phoneNumberId)) {
      const index = Number(m.to.replace(/^\+?1650555/, '')) - 2000;
      const endpointId = `ep-${String(index).padStart(4, '0')}`;
      const text = m.message.template?.components?.[0]?.parameters?.[0]?.text;
      expect(text).toBe(names[Number(byEndpoint.get(endpointId))]);
    }

    // The next run puts every endpoint in the same place.
    live.clock.advance(HOUR + 1000);
    live.herald.campaignRunner.wake();
    const runs = await activitiesWhen(
      app,
      created.body.id,
      (i) => i.length === 2 && i[0].fanOutDone,
      'the second run',
      30_000,
    );
    expect(runs[0].holdout).toBe(first.holdout);
    const second = (await ledger(created.body.id)).filter((r) => r.activityId === runs[0].id);
    expect(second).toHaveLength(sent);
    for (const row of second) expect(row.treatmentId).toBe(byEndpoint.get(row.endpointId));
  });

  it('paces a campaign at its messagesPerSecond, below the channel’s rate', async () => {
    const segmentId = await audience(12);
    const created = await app.call('POST', '/campaigns', {
      name: 'slow',
      segmentId,
      message: treatment('P', 100).message,
      limits: { messagesPerSecond: 4 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const [run] = await activitiesWhen(app, created.body.id, (i) => i[0]?.sent === 12, 'all sent', 20_000);
    const start = Date.parse(run.scheduledStart);
    const times = (await sandboxMessages(live, app.phoneNumberId)).map((m) => m.at).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // The k-th message leaves no earlier than its slot: k * 250 ms after the start.
    for (const [k, at] of times.entries()) expect(at).toBeGreaterThanOrEqual(start + k * 250);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(11 * 250 - 300);
  });

  it('skips endpoints that cannot be reached within maximumDuration, and cancels what is left', async () => {
    const segmentId = await audience(70);
    const created = await app.call('POST', '/campaigns', {
      name: 'one a second for a minute',
      segmentId,
      message: treatment('M', 100).message,
      limits: { messagesPerSecond: 1, maximumDuration: 60 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const [run] = await activitiesWhen(app, created.body.id, (i) => i[0]?.fanOutDone, 'the fan-out');
    // Slots at 0, 1, ... 60 s fit in the minute; the other 9 endpoints would be late.
    expect(run).toMatchObject({ queued: 61, skipped: { maximum_duration: 9 } });

    const cancelled = await app.call('POST', `/campaigns/${created.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('CANCELLED');
    // A message a sender had already claimed is sent; everything else is cancelled.
    const [after] = await activitiesWhen(app, created.body.id, (i) => i[0]?.pending === 0, 'nothing pending');
    expect(after).toMatchObject({ state: 'CANCELLED', result: 'FAIL' });
    expect(after.sent + after.cancelled).toBe(61);
    expect(after.cancelled).toBeGreaterThan(50);
    const sentSoFar = (await sandboxMessages(live, app.phoneNumberId)).length;
    live.clock.advance(120_000);
    await new Promise((r) => setTimeout(r, 700));
    expect((await sandboxMessages(live, app.phoneNumberId)).length).toBe(sentSoFar);
    const again = await app.call('POST', `/campaigns/${created.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('HERALD_CAMPAIGN_STATE');
  });
});
