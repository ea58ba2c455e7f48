import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { AdjustableClock } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

/**
 * No workers: the test drives the scheduler itself, and nothing is sent, so the queued messages are still there
 * when the run's maximum duration is over.
 */
describeEachDatabase('a run past its maximumDuration', (db) => {
  let herald: Herald;
  let clock: AdjustableClock;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  beforeEach(async () => {
    clock = new AdjustableClock();
    herald = await createTestHerald(db(), { clock });
    app = await createTestApp(herald);
  });
  afterEach(() => herald.stop());

  const request = async (method: 'GET' | 'POST' | 'PUT', path: string, payload?: unknown) => {
    const response = await herald.server.inject({
      method,
      url: `/v1/apps/${app.appId}${path}`,
      headers: app.headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: response.statusCode, body: response.json() };
  };

  it('expires the messages still queued once the maximum duration is over, and completes the run', async () => {
    await request('PUT', '/channels/wa', {
      provider: 'whatsapp-cloud',
      sender: { phoneNumberId: '106540352242922' },
      credentials: {
        accessToken: 'EAAG-test-token-123456',
        appSecret: 'app-secret-1',
        verifyToken: 'verify-token-1',
      },
      validate: false,
    });
    const items = Array.from({ length: 5 }, (_, i) => ({
      id: `e${i}`,
      channelType: 'WHATSAPP',
      address: `+165055520${String(10 + i)}`,
    }));
    expect((await request('PUT', '/endpoints', { items })).status).toBe(200);
    const segmentId = (await request('POST', '/segments', { name: 'all' })).body.id;
    const templateId = (
      await request('POST', '/templates', {
        kind: 'whatsapp',
        name: 'hello_world',
        languages: [{ language: 'en_US', body: { text: 'Hello' } }],
      })
    ).body.id;
    const created = await request('POST', '/campaigns', {
      name: 'must go out within a minute',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      limits: { maximumDuration: 60 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const runner = herald.campaignRunner;
    expect(await runner.startDueRuns()).toBe(1);
    expect(await runner.fanOut()).toBe(1);
    expect(await runner.completeRuns()).toBe(0);
    let [run] = (await request('GET', `/campaigns/${created.body.id}/activities`)).body.items;
    expect(run).toMatchObject({ state: 'RUNNING', queued: 5, pending: 5 });

    clock.advance(61_000);
    expect(await runner.completeRuns()).toBe(1);
    [run] = (await request('GET', `/campaigns/${created.body.id}/activities`)).body.items;
    expect(run).toMatchObject({ state: 'COMPLETED', queued: 5, pending: 0, expired: 5, sent: 0 });
    const { body: messages } = await request('GET', `/messages?campaignId=${created.body.id}`);
    expect(
      messages.items.map((m: { status: string; error: { code: string } }) => [m.status, m.error?.code]),
    ).toEqual(Array(5).fill(['expired', 'HERALD_CAMPAIGN_MAXIMUM_DURATION']));
    expect((await request('GET', `/campaigns/${created.body.id}`)).body.state).toBe('COMPLETED');
  });
});
