import { DateTime } from 'luxon';
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

/** The first run of `schedule` (its start plus whole periods in its zone) after `now`, stepping through them all. */
function firstRunAfter(
  schedule: { startTime: string; frequency: 'DAILY' | 'MONTHLY' | 'WEEKLY'; timezone?: string },
  now: number,
): string {
  const start = DateTime.fromISO(schedule.startTime, { zone: schedule.timezone ?? 'UTC' });
  const unit = ({ DAILY: 'days', WEEKLY: 'weeks', MONTHLY: 'months' } as const)[schedule.frequency];
  for (let k = 0; ; k += 1) {
    const run = start.plus({ [unit]: k });
    if (run.toMillis() > now) return new Date(run.toMillis()).toISOString();
  }
}

describeEachDatabase('campaign schedules with an adjustable clock, through the sandbox', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  let templateId: string;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await campaignApp(live);
    // The sandbox holds hello_world (en_US, no parameters).
    templateId = await helloWorldTemplate(app);
  });
  afterEach(() => live.stop());

  const endpoints = async (items: { id: string; timezone?: string }[]) => {
    const put = await app.call('PUT', '/endpoints', {
      items: items.map((e, i) => ({
        id: e.id,
        channelType: 'WHATSAPP',
        address: phone(i),
        ...(e.timezone ? { demographic: { timezone: e.timezone } } : {}),
      })),
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    return (await app.call('POST', '/segments', { name: 'all' })).body.id as string;
  };
  const recipients = async () =>
    new Set((await sandboxMessages(live, app.phoneNumberId)).map((m) => `+${m.to.replace(/^\+/, '')}`));
  /** Moves the clock to `at` (plus a little) and lets the scheduler look at once. */
  const moveTo = (at: number) => {
    const ahead = at - live.clock.now();
    if (ahead > 0) live.clock.advance(ahead + 50);
    live.herald.campaignRunner.wake();
  };

  it('starts a scheduled campaign at its time, not before', async () => {
    const segmentId = await endpoints([{ id: 'a' }, { id: 'b' }]);
    const startAt = live.clock.now() + HOUR;
    const created = await app.call('POST', '/campaigns', {
      name: 'in an hour',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { startTime: new Date(startAt).toISOString() },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ state: 'SCHEDULED', nextRunAt: new Date(startAt).toISOString() });
    // The scheduler has looked (several idle rounds) and started nothing.
    live.herald.campaignRunner.wake();
    await new Promise((r) => setTimeout(r, 600));
    expect((await app.call('GET', `/campaigns/${created.body.id}/activities`)).body.items).toEqual([]);
    expect(await recipients()).toEqual(new Set());

    moveTo(startAt);
    const [run] = await activitiesWhen(app, created.body.id, (i) => i[0]?.state === 'COMPLETED', 'the run');
    expect(run).toMatchObject({ scheduledStart: new Date(startAt).toISOString(), queued: 2, sent: 2 });
    expect(await recipients()).toEqual(new Set([phone(0), phone(1)]));
  });

  it('sends a local-time campaign at the same wall-clock time in each endpoint’s time zone', async () => {
    const zones = ['Asia/Tokyo', 'Europe/Paris', 'America/New_York'] as const;
    const segmentId = await endpoints([
      { id: 'tokyo', timezone: zones[0] },
      { id: 'paris', timezone: zones[1] },
      { id: 'new-york', timezone: zones[2] },
      { id: 'no-zone' },
    ]);
    const day = DateTime.fromMillis(live.clock.now(), { zone: 'UTC' }).plus({ days: 2 }).startOf('day');
    const wall = day.set({ hour: 9 });
    const created = await app.call('POST', '/campaigns', {
      name: 'nine in the morning, everywhere',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { startTime: wall.toISO(), isLocalTime: true, timezone: 'UTC' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The run starts when the first zone (UTC+14) reaches 09:00.
    const firstZone = wall.setZone('UTC+14', { keepLocalTime: true }).toMillis();
    expect(created.body.nextRunAt).toBe(new Date(firstZone).toISOString());

    const at = (zone: string) => wall.setZone(zone, { keepLocalTime: true }).toMillis();
    const order: [string, number][] = [
      [phone(0), at(zones[0] as string)],
      [phone(1), at(zones[1] as string)],
      [phone(3), wall.toMillis()],
      [phone(2), at(zones[2] as string)],
    ];
    moveTo(firstZone);
    await activitiesWhen(app, created.body.id, (i) => i[0]?.queued === 4, 'the run to queue all four');
    expect(await recipients()).toEqual(new Set());
    for (const [index, [recipient, time]] of order.entries()) {
      moveTo(time);
      await eventually(async () => (await recipients()).has(recipient), `${recipient} at its 09:00`);
      // Nobody later in the day has had it yet.
      for (const [later] of order.slice(index + 1)) expect((await recipients()).has(later)).toBe(false);
    }
    const sent = await sandboxMessages(live, app.phoneNumberId);
    for (const [recipient, time] of order) {
      const message = sent.find((m) => `+${m.to.replace(/^\+/, '')}` === recipient);
      expect(message?.at).toBeGreaterThanOrEqual(time);
    }
  });

  it('defers messages due in quiet time to its end instead of dropping them', async () => {
    const now = live.clock.now();
    // Tokyo is inside a quiet window that started an hour ago there; Honolulu is 19 hours behind, outside it.
    const tokyo = DateTime.fromMillis(now, { zone: 'Asia/Tokyo' });
    const start = tokyo.minus({ hours: 1 });
    const end = tokyo.plus({ hours: 2 });
    const hhmm = (d: DateTime) => d.toFormat('HH:mm');
    const honolulu = DateTime.fromMillis(now, { zone: 'Pacific/Honolulu' });
    const inside = (d: DateTime) => {
      const m = d.hour * 60 + d.minute;
      const s = start.hour * 60 + start.minute;
      const e = end.hour * 60 + end.minute;
      return s < e ? m >= s && m < e : m >= s || m < e;
    };
    expect(inside(honolulu)).toBe(false);
    const segmentId = await endpoints([
      { id: 'tokyo', timezone: 'Asia/Tokyo' },
      { id: 'honolulu', timezone: 'Pacific/Honolulu' },
    ]);
    const created = await app.call('POST', '/campaigns', {
      name: 'quiet',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { quietTime: { start: hhmm(start), end: hhmm(end) } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await eventually(async () => (await recipients()).has(phone(1)), 'Honolulu at once');
    // The sandbox has the message before Herald has recorded its answer: wait for the ledger too.
    const [run] = await activitiesWhen(
      app,
      created.body.id,
      (i) => i[0]?.pending === 1,
      'Honolulu sent, Tokyo still pending',
    );
    expect(run).toMatchObject({ queued: 2, pending: 1, state: 'RUNNING' });
    expect((await recipients()).has(phone(0))).toBe(false);

    moveTo(end.startOf('minute').toMillis());
    await eventually(async () => (await recipients()).has(phone(0)), 'Tokyo when its quiet time ends');
    const message = (await sandboxMessages(live, app.phoneNumberId)).find((m) =>
      m.to.endsWith(phone(0).slice(1)),
    );
    expect(message?.at).toBeGreaterThanOrEqual(end.startOf('minute').toMillis());
    await activitiesWhen(app, created.body.id, (i) => i[0]?.state === 'COMPLETED', 'the run to complete');
  });

  it('plans the run after a late one across DST changes and short months without skipping any still to come', async () => {
    const segmentId = await endpoints([{ id: 'a' }]);
    // QA's cases: started before a DST change (Paris, New York) or in February, so the first run starts at once
    // (late) and the next must be the first one after now (9 days later for Paris, 14 months for February).
    const schedules = [
      { startTime: '2026-03-28T10:00:00+01:00', frequency: 'DAILY', timezone: 'Europe/Paris' },
      { startTime: '2026-03-07T09:00:00-05:00', frequency: 'DAILY', timezone: 'America/New_York' },
      { startTime: '2023-02-01T09:00:00Z', frequency: 'MONTHLY' },
    ] as const;
    for (const schedule of schedules) {
      const before = live.clock.now();
      const created = await app.call('POST', '/campaigns', {
        name: `${schedule.frequency} from ${schedule.startTime}`,
        segmentId,
        message: { channelType: 'WHATSAPP', templateId },
        schedule,
        holdoutPercent: 100,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const [run] = await activitiesWhen(app, created.body.id, (i) => i.length === 1, 'the late first run');
      expect(run.scheduledStart).toBe(new Date(schedule.startTime).toISOString());
      const { body } = await app.call('GET', `/campaigns/${created.body.id}`);
      // A run may have come due while the first one started.
      expect([firstRunAfter(schedule, before), firstRunAfter(schedule, live.clock.now())]).toContain(
        body.nextRunAt,
      );
    }
  });

  it('keeps a monthly campaign started on the 31st on the last day of each month', async () => {
    const segmentId = await endpoints([{ id: 'a' }]);
    // The next 31st before a shorter month, and the two months after it.
    let day = DateTime.fromMillis(live.clock.now(), { zone: 'UTC' }).plus({ days: 1 }).startOf('day');
    while (day.day !== 31 || day.plus({ months: 1 }).daysInMonth === 31) day = day.plus({ days: 1 });
    const start = day.set({ hour: 10 });
    const first = start.toMillis();
    const second = start.plus({ months: 1 }).toMillis();
    const third = start.plus({ months: 2 }).toMillis();
    expect(new Date(third).getUTCDate()).toBe(31);
    const created = await app.call('POST', '/campaigns', {
      name: 'end of month',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { startTime: start.toISO(), frequency: 'MONTHLY' },
      holdoutPercent: 100,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const nextRunAt = async () => (await app.call('GET', `/campaigns/${id}`)).body.nextRunAt;
    expect(await nextRunAt()).toBe(new Date(first).toISOString());
    moveTo(first);
    await activitiesWhen(app, id, (i) => i.length === 1, 'the run on the 31st');
    expect(await nextRunAt()).toBe(new Date(second).toISOString());
    moveTo(second);
    const items = await activitiesWhen(app, id, (i) => i.length === 2, 'the run at the short month’s end');
    expect(items[0].scheduledStart).toBe(new Date(second).toISOString());
    // Back on the 31st, not the day the short month ended on.
    expect(await nextRunAt()).toBe(new Date(third).toISOString());
  });

  it('runs a recurring campaign each period and honours the daily and total limits per endpoint', async () => {
    const segmentId = await endpoints([{ id: 'a' }, { id: 'b' }]);
    const created = await app.call('POST', '/campaigns', {
      name: 'hourly',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
      schedule: { frequency: 'HOURLY' },
      limits: { daily: 1, total: 2 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    const runs = (n: number) =>
      activitiesWhen(app, id, (i) => i.length === n && i[0].state === 'COMPLETED', `${n} runs`);
    let items = await runs(1);
    expect(items[0]).toMatchObject({ queued: 2, skipped: {} });
    expect((await app.call('GET', `/campaigns/${id}`)).body.state).toBe('PENDING_NEXT_RUN');

    moveTo(live.clock.now() + HOUR);
    items = await runs(2);
    expect(items[0]).toMatchObject({ queued: 0, skipped: { daily_limit: 2 } });

    moveTo(live.clock.now() + 24 * HOUR);
    items = await runs(3);
    expect(items[0]).toMatchObject({ queued: 2, skipped: {} });

    moveTo(live.clock.now() + 24 * HOUR);
    items = await runs(4);
    expect(items[0]).toMatchObject({ queued: 0, skipped: { total_limit: 2 } });
    expect((await sandboxMessages(live, app.phoneNumberId)).length).toBe(4);
  });
});
