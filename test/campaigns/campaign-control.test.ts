import { afterEach, beforeEach, expect, it } from 'vitest';
import { eventually, type LiveHerald, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import {
  activitiesWhen,
  type CampaignApp,
  campaignApp,
  helloWorldTemplate,
  phone,
  sandboxMessages,
} from './campaign-harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describeEachDatabase('pausing, resuming, changing and deleting campaigns', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  let templateId: string;
  let segmentId: string;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await campaignApp(live);
    templateId = await helloWorldTemplate(app);
    const items = Array.from({ length: 10 }, (_, i) => ({
      id: `e${i}`,
      channelType: 'WHATSAPP',
      address: phone(i),
    }));
    expect((await app.call('PUT', '/endpoints', { items })).status).toBe(200);
    segmentId = (await app.call('POST', '/segments', { name: 'all' })).body.id;
  });
  afterEach(() => live.stop());

  const sent = async () => (await sandboxMessages(live, app.phoneNumberId)).length;

  it('holds a running run’s queued messages while paused and sends each exactly once after resume', async () => {
    const created = await app.call('POST', '/campaigns', {
      name: 'paused mid-run',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      limits: { messagesPerSecond: 2 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    await eventually(async () => (await sent()) >= 2, 'the first messages');
    const paused = await app.call('POST', `/campaigns/${id}/pause`);
    expect(paused.body.state).toBe('PAUSED');
    expect((await app.call('POST', `/campaigns/${id}/pause`)).status).toBe(409);
    const [run] = (await app.call('GET', `/campaigns/${id}/activities`)).body.items;
    expect(run.state).toBe('PAUSED');
    // A message already claimed by the sender may still go out; nothing else does, however long the pause.
    await new Promise((r) => setTimeout(r, 600));
    const atPause = await sent();
    live.clock.advance(HOUR);
    await new Promise((r) => setTimeout(r, 800));
    expect(await sent()).toBe(atPause);
    expect(atPause).toBeLessThan(10);

    const resumed = await app.call('POST', `/campaigns/${id}/resume`);
    expect(resumed.body.state).toBe('EXECUTING');
    const [done] = await activitiesWhen(
      app,
      id,
      (i) => i[0]?.state === 'COMPLETED',
      'the run to complete',
      20_000,
    );
    expect(done).toMatchObject({ queued: 10, sent: 10, cancelled: 0 });
    const recipients = (await sandboxMessages(live, app.phoneNumberId)).map((m) => m.to);
    expect(recipients).toHaveLength(10);
    expect(new Set(recipients).size).toBe(10);
    expect((await app.call('GET', `/campaigns/${id}`)).body.state).toBe('COMPLETED');
    expect((await app.call('POST', `/campaigns/${id}/resume`)).status).toBe(409);
  });

  it('changes a scheduled campaign (a new version and next run), lists, keeps its template from deletion, and deletes', async () => {
    const startAt = live.clock.now() + HOUR;
    const body = {
      name: 'later',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { startTime: new Date(startAt).toISOString() },
    };
    const created = await app.call('POST', '/campaigns', body);
    const id = created.body.id;
    const moved = await app.call('PUT', `/campaigns/${id}`, {
      ...body,
      name: 'later still',
      schedule: { startTime: new Date(startAt + HOUR).toISOString(), frequency: 'DAILY' },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({
      name: 'later still',
      version: 2,
      state: 'SCHEDULED',
      nextRunAt: new Date(startAt + HOUR).toISOString(),
    });
    const strict = await app.call('PUT', `/campaigns/${id}`, { ...body, bogus: true });
    expect(strict.status).toBe(400);
    expect((await app.call('GET', '/campaigns')).body.items.map((c: { id: string }) => c.id)).toEqual([id]);

    const inUse = await app.call('DELETE', `/templates/${templateId}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe('HERALD_CONFLICT');
    // So is its segment: the run would fail with the segment gone.
    const segmentInUse = await app.call('DELETE', `/segments/${segmentId}`);
    expect(segmentInUse.status).toBe(409);
    expect(segmentInUse.body.error).toMatchObject({ code: 'HERALD_CONFLICT', field: 'segmentId' });

    const paused = await app.call('POST', `/campaigns/${id}/pause`);
    expect(paused.body.state).toBe('PAUSED');
    live.clock.advance(2 * HOUR + 1000);
    live.herald.campaignRunner.wake();
    await new Promise((r) => setTimeout(r, 600));
    expect((await app.call('GET', `/campaigns/${id}/activities`)).body.items).toEqual([]);
    // Resumed after its start time: the due run starts now.
    expect((await app.call('POST', `/campaigns/${id}/resume`)).body.state).toBe('SCHEDULED');
    await activitiesWhen(app, id, (i) => i[0]?.state === 'COMPLETED', 'the late run');
    expect((await app.call('GET', `/campaigns/${id}`)).body.state).toBe('PENDING_NEXT_RUN');

    expect((await app.call('DELETE', `/campaigns/${id}`)).status).toBe(204);
    expect((await app.call('GET', `/campaigns/${id}`)).status).toBe(404);
    expect((await app.call('DELETE', `/campaigns/${id}`)).status).toBe(404);
    // The messages stay in the ledger; the template is free again.
    expect((await app.call('GET', `/messages?campaignId=${id}`)).body.items).toHaveLength(10);
    expect((await app.call('DELETE', `/templates/${templateId}`)).status).toBe(204);
  });

  it('keeps a recurring campaign’s next run when a change keeps its schedule; a new schedule starts after now', async () => {
    // Started two days ago: the first run starts at once (late), the next is a week after the start.
    const start = Math.floor((live.clock.now() - 2 * DAY) / 1000) * 1000;
    const body = {
      name: 'weekly',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { startTime: new Date(start).toISOString(), frequency: 'WEEKLY' },
      holdoutPercent: 100,
    };
    const created = await app.call('POST', '/campaigns', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const completed = (n: number) =>
      activitiesWhen(app, id, (i) => i.length === n && i[0].state === 'COMPLETED', `${n} runs`);
    await completed(1);
    const second = new Date(start + 7 * DAY).toISOString();
    expect((await app.call('GET', `/campaigns/${id}`)).body).toMatchObject({
      state: 'PENDING_NEXT_RUN',
      runs: 1,
      nextRunAt: second,
    });

    // QA's case: the same schedule under a new name (it was moved to now + 7 days).
    const renamed = await app.call('PUT', `/campaigns/${id}`, { ...body, name: 'weekly digest' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({ version: 2, state: 'PENDING_NEXT_RUN', nextRunAt: second });

    // Paused through the second run and changed meanwhile: the run is still next and starts on resume, as it does
    // without a change; the one after is a week later.
    expect((await app.call('POST', `/campaigns/${id}/pause`)).body.state).toBe('PAUSED');
    live.clock.advance(start + 7 * DAY + HOUR - live.clock.now());
    const whilePaused = await app.call('PUT', `/campaigns/${id}`, { ...body, name: 'weekly digest, v3' });
    expect(whilePaused.body).toMatchObject({ version: 3, state: 'PAUSED', nextRunAt: second });
    expect((await app.call('POST', `/campaigns/${id}/resume`)).body.state).toBe('PENDING_NEXT_RUN');
    const [run] = await completed(2);
    expect(run.scheduledStart).toBe(second);
    expect((await app.call('GET', `/campaigns/${id}`)).body.nextRunAt).toBe(
      new Date(start + 14 * DAY).toISOString(),
    );

    // A new schedule: its first run after now (daily from the same start: within a day).
    const now = live.clock.now();
    const daily = await app.call('PUT', `/campaigns/${id}`, {
      ...body,
      schedule: { ...body.schedule, frequency: 'DAILY' },
    });
    expect(daily.status, JSON.stringify(daily.body)).toBe(200);
    const nextDaily = start + Math.floor((now - start) / DAY + 1) * DAY;
    expect(daily.body.nextRunAt).toBe(new Date(nextDaily).toISOString());
    // The same runs ending before the next one: none is left.
    const ending = await app.call('PUT', `/campaigns/${id}`, {
      ...body,
      schedule: { ...body.schedule, frequency: 'DAILY', endTime: new Date(nextDaily - 1000).toISOString() },
    });
    expect(ending.body).toMatchObject({ state: 'COMPLETED', nextRunAt: null });
  });

  it('cancels a recurring campaign for good: no next run is shown, none starts', async () => {
    const created = await app.call('POST', '/campaigns', {
      name: 'weekly',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { startTime: new Date(live.clock.now() + HOUR).toISOString(), frequency: 'WEEKLY' },
    });
    expect(created.body.nextRunAt).toBeTruthy();
    const cancelled = await app.call('POST', `/campaigns/${created.body.id}/cancel`);
    expect(cancelled.body.state).toBe('CANCELLED');
    expect(cancelled.body.nextRunAt ?? null).toBeNull();
    live.clock.advance(2 * HOUR);
    live.herald.campaignRunner.wake();
    await new Promise((r) => setTimeout(r, 400));
    expect((await app.call('GET', `/campaigns/${created.body.id}/activities`)).body.items).toEqual([]);
  });

  it('lists its routes in the OpenAPI document', async () => {
    const { body: doc } = await live.call('GET', '/openapi.json');
    expect(Object.keys(doc.paths['/v1/apps/{appId}/campaigns']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/apps/{appId}/campaigns/{campaignId}']).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    for (const action of ['pause', 'resume', 'cancel'])
      expect(doc.paths[`/v1/apps/{appId}/campaigns/{campaignId}/${action}`].post.tags).toEqual(['campaigns']);
    expect(doc.paths['/v1/apps/{appId}/campaigns/{campaignId}/activities'].get.tags).toEqual(['campaigns']);
    expect(Object.keys(doc.paths['/v1/apps/{appId}/templates']).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/v1/apps/{appId}/templates/sync'].post.tags).toEqual(['templates']);
    expect(doc.paths['/v1/apps/{appId}/templates/{templateId}/preview'].post.tags).toEqual(['templates']);
    expect(doc.paths['/v1/apps/{appId}/events'].post.tags).toEqual(['events']);
  });
});
