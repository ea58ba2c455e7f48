import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { CampaignFrequency, CampaignSchedule } from '../../domain/campaign.js';
import { RunPlan } from './campaign-schedule.js';

const at = (iso: string) => Date.parse(iso);
const schedule = (overrides: Partial<CampaignSchedule>): CampaignSchedule => ({
  startTime: at('2026-03-07T09:00:00Z'),
  frequency: 'ONCE',
  isLocalTime: false,
  ...overrides,
});

const UNIT = { HOURLY: 'hours', DAILY: 'days', WEEKLY: 'weeks', MONTHLY: 'months' } as const;

/**
 * The first run after `nominal` whose due time is after `now`, found the slow, obvious way: every run from the start
 * (the start plus k periods in the schedule's zone), one by one.
 */
function stepThrough(s: CampaignSchedule, nominal: number, now: number): number {
  const frequency = s.frequency as keyof typeof UNIT;
  const zone = s.timezone ?? 'UTC';
  const start = DateTime.fromMillis(s.startTime as number, { zone });
  for (let k = 0; ; k += 1) {
    const run = start.plus({ [UNIT[frequency]]: k });
    const due = s.isLocalTime ? run.setZone('UTC+14', { keepLocalTime: true }).toMillis() : run.toMillis();
    if (run.toMillis() > nominal && due > now) return due;
  }
}

describe('RunPlan', () => {
  it('plans IMMEDIATE at creation, and nothing when the end comes before the start', () => {
    expect(new RunPlan(schedule({ startTime: 'IMMEDIATE' }), 123).firstDue()).toBe(123);
    expect(new RunPlan(schedule({ endTime: at('2026-03-01T00:00:00Z') }), 0).firstDue()).toBeNull();
  });

  it('steps recurring runs in the campaign’s zone (a daily run keeps its wall-clock time across DST) and skips missed ones', () => {
    const plan = new RunPlan(
      schedule({
        startTime: at('2026-03-07T09:00:00-05:00'),
        frequency: 'DAILY',
        timezone: 'America/New_York',
      }),
      0,
    );
    const first = at('2026-03-07T14:00:00Z');
    // US DST starts on 2026-03-08: 09:00 New York is 13:00Z from then on.
    expect(plan.nextDueAfter(first, first)).toBe(at('2026-03-08T13:00:00Z'));
    // Down for three days: the next run is the first one still to come.
    expect(plan.nextDueAfter(first, at('2026-03-10T20:00:00Z'))).toBe(at('2026-03-11T13:00:00Z'));
    expect(new RunPlan(schedule({}), 0).nextDueAfter(first, first)).toBeNull();
    const ending = new RunPlan(schedule({ frequency: 'HOURLY', endTime: at('2026-03-07T10:30:00Z') }), 0);
    expect(ending.nextDueAfter(at('2026-03-07T09:00:00Z'), at('2026-03-07T09:00:00Z'))).toBe(
      at('2026-03-07T10:00:00Z'),
    );
    expect(ending.nextDueAfter(at('2026-03-07T10:00:00Z'), at('2026-03-07T10:00:00Z'))).toBeNull();
    const monthly = new RunPlan(schedule({ startTime: at('2026-01-31T09:00:00Z'), frequency: 'MONTHLY' }), 0);
    expect(monthly.nextDueAfter(at('2026-01-31T09:00:00Z'), at('2026-01-31T09:00:00Z'))).toBe(
      at('2026-02-28T09:00:00Z'),
    );
  });

  it('catches up over a DST change or a short month without skipping a run still to come', () => {
    // QA's cases: the clock at 2026-11-22T00:25Z, the start (the first run) before a DST change or in February.
    const now = at('2026-11-22T00:25:00Z');
    const paris = schedule({
      startTime: at('2026-03-28T10:00:00+01:00'),
      frequency: 'DAILY',
      timezone: 'Europe/Paris',
    });
    expect(new RunPlan(paris, 0).nextDueAfter(paris.startTime as number, now)).toBe(
      at('2026-11-22T09:00:00Z'),
    );
    const newYork = schedule({
      startTime: at('2026-03-07T09:00:00-05:00'),
      frequency: 'DAILY',
      timezone: 'America/New_York',
    });
    expect(new RunPlan(newYork, 0).nextDueAfter(newYork.startTime as number, now)).toBe(
      at('2026-11-22T14:00:00Z'),
    );
    const monthly = schedule({ startTime: at('2023-02-01T09:00:00Z'), frequency: 'MONTHLY' });
    expect(new RunPlan(monthly, 0).nextDueAfter(monthly.startTime as number, now)).toBe(
      at('2026-12-01T09:00:00Z'),
    );
    // The same path after a worker outage: the run due before the DST change starts late, the next is still tomorrow's.
    expect(new RunPlan(paris, 0).nextDueAfter(at('2026-03-28T09:00:00Z'), at('2026-04-30T12:00:00Z'))).toBe(
      at('2026-05-01T08:00:00Z'),
    );
  });

  it('counts each run from the start, so a monthly run on the 31st comes back after a short month', () => {
    const start = at('2026-01-31T10:00:00Z');
    const plan = new RunPlan(schedule({ startTime: start, frequency: 'MONTHLY' }), start);
    /** The nominal times of the runs after the first, as CampaignRunner.startDueRuns plans each from the one before. */
    const runs = (p: RunPlan, count: number) => {
      const nominals: string[] = [];
      for (let due = p.firstDue() as number; nominals.length < count; ) {
        due = p.nextDueAfter(p.nominalOf(due), due + 1000) as number;
        nominals.push(new Date(p.nominalOf(due)).toISOString());
      }
      return nominals;
    };
    expect(runs(plan, 6)).toEqual([
      '2026-02-28T10:00:00.000Z',
      '2026-03-31T10:00:00.000Z',
      '2026-04-30T10:00:00.000Z',
      '2026-05-31T10:00:00.000Z',
      '2026-06-30T10:00:00.000Z',
      '2026-07-31T10:00:00.000Z',
    ]);
    // A next run planned from a drifted one (March 28) is back on the last day of the month.
    expect(plan.nextDueAfter(at('2026-03-28T10:00:00Z'), at('2026-03-28T10:00:00Z'))).toBe(
      at('2026-03-31T10:00:00Z'),
    );
    // In local time, in Paris across its DST change: 10:00 there on the last day of each month.
    const paris = schedule({
      startTime: at('2026-01-31T10:00:00+01:00'),
      frequency: 'MONTHLY',
      timezone: 'Europe/Paris',
      isLocalTime: true,
    });
    expect(runs(new RunPlan(paris, 0), 3)).toEqual([
      '2026-02-28T09:00:00.000Z',
      '2026-03-31T08:00:00.000Z',
      '2026-04-30T08:00:00.000Z',
    ]);
  });

  it('finds the same next run as stepping through every run, for any start, zone, frequency and gap', () => {
    const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe'];
    const frequencies: CampaignFrequency[] = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'];
    // Hours after the start; stepping through every run is slow, so hourly runs get the shorter gaps only.
    const gaps = [0, 0.5, 1, 23, 24, 25, 24 * 9, 24 * 40, 24 * 200];
    let checked = 0;
    for (const timezone of zones)
      for (const frequency of frequencies)
        for (let day = 0; day < 365; day += frequency === 'HOURLY' ? 29 : 19) {
          // Starts all over a year (each DST change is near some), at different times of day.
          const startTime = at('2026-01-29T01:30:00Z') + day * 86_400_000 + (day % 24) * 3_600_000;
          for (const isLocalTime of [false, true]) {
            const s = schedule({ startTime, frequency, timezone, isLocalTime });
            const plan = new RunPlan(s, 0);
            for (const gap of gaps) {
              if (frequency === 'HOURLY' && gap > 25) continue;
              const now = startTime + gap * 3_600_000;
              expect(
                plan.nextDueAfter(startTime, now),
                `${timezone} ${frequency} ${startTime} +${gap}h`,
              ).toBe(stepThrough(s, startTime, now));
              checked += 1;
            }
          }
        }
    expect(checked).toBeGreaterThan(2_000);
  });

  it('catches up over decades in a few steps', () => {
    const hourly = schedule({
      startTime: at('1950-06-01T09:00:00Z'),
      frequency: 'HOURLY',
      timezone: 'Europe/Paris',
    });
    const started = performance.now();
    expect(new RunPlan(hourly, 0).nextDueAfter(hourly.startTime as number, at('2026-11-22T00:25:00Z'))).toBe(
      at('2026-11-22T01:00:00Z'),
    );
    // Stepping through its 670,000 runs takes seconds.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('keeps the run a campaign waits for when an update keeps its runs, and starts new runs after now', () => {
    const weekly = schedule({ startTime: at('2026-11-20T09:00:00Z'), frequency: 'WEEKLY' });
    const plan = new RunPlan(weekly, 0);
    const now = at('2026-11-22T00:24:55Z');
    const awaited = at('2026-11-27T09:00:00Z');
    // QA's case: Nov 20's run is over and Nov 27's awaited; the same schedule (a new name, say) keeps it.
    expect(plan.nextDueReplacing(plan, awaited, now)).toBe(awaited);
    expect(new RunPlan({ ...weekly }, 0).nextDueReplacing(plan, awaited, now)).toBe(awaited);
    // Overdue (the campaign was paused through it): still next, so it starts on resume as without the update.
    expect(plan.nextDueReplacing(plan, awaited, at('2026-11-28T00:00:00Z'))).toBe(awaited);
    // Only the end changed: the same runs, cut by the new end.
    const endingSooner = new RunPlan({ ...weekly, endTime: at('2026-11-27T00:00:00Z') }, 0);
    expect(endingSooner.nextDueReplacing(plan, awaited, now)).toBeNull();
    // None was left (the old end had come): a later end adds the runs after now.
    expect(plan.nextDueReplacing(endingSooner, null, at('2026-11-28T00:00:00Z'))).toBe(
      at('2026-12-04T09:00:00Z'),
    );
    // New runs: the first one after now, or the new start.
    const daily = new RunPlan({ ...weekly, frequency: 'DAILY' }, 0);
    expect(daily.nextDueReplacing(plan, awaited, now)).toBe(at('2026-11-22T09:00:00Z'));
    const later = new RunPlan({ ...weekly, startTime: at('2026-12-01T09:00:00Z') }, 0);
    expect(later.nextDueReplacing(plan, awaited, now)).toBe(at('2026-12-01T09:00:00Z'));
    const paris = new RunPlan({ ...weekly, timezone: 'Europe/Paris' }, 0);
    expect(paris.nextDueReplacing(plan, awaited, at('2026-11-28T00:00:00Z'))).toBe(
      at('2026-12-04T09:00:00Z'),
    );
    const once = new RunPlan({ ...weekly, frequency: 'ONCE' }, 0);
    expect(once.nextDueReplacing(plan, awaited, now)).toBeNull();
    expect(later.nextDueReplacing(once, null, now)).toBe(at('2026-12-01T09:00:00Z'));
    expect(once.nextDueReplacing(once, null, now)).toBeNull();
    const onceMore = new RunPlan({ ...weekly, frequency: 'ONCE', startTime: at('2026-12-01T09:00:00Z') }, 0);
    expect(onceMore.nextDueReplacing(plan, awaited, now)).toBe(at('2026-12-01T09:00:00Z'));
    // In local time: the awaited due time (10:00, Paris's wall-clock time, in UTC+14) maps back to the same run.
    const local = new RunPlan({ ...weekly, isLocalTime: true, timezone: 'Europe/Paris' }, 0);
    const localDue = at('2026-11-26T20:00:00Z');
    expect(local.nextDueReplacing(local, localDue, now)).toBe(localDue);
    // A zone written another way is the same zone.
    const offset = (timezone: string) => new RunPlan({ ...weekly, timezone }, 0);
    expect(offset('UTC+01').nextDueReplacing(offset('UTC+1'), awaited, now)).toBe(awaited);
    // An awaited time off the schedule (Mar 28, planned by drifting monthly runs) is back on it.
    const monthly = new RunPlan(schedule({ startTime: at('2026-01-31T10:00:00Z'), frequency: 'MONTHLY' }), 0);
    expect(monthly.nextDueReplacing(monthly, at('2026-03-28T10:00:00Z'), at('2026-03-01T00:00:00Z'))).toBe(
      at('2026-03-31T10:00:00Z'),
    );
  });

  it('starts a local-time run when UTC+14 reaches the wall-clock time, and sends each endpoint at it in its zone', () => {
    const plan = new RunPlan(schedule({ startTime: at('2026-11-21T09:00:00Z'), isLocalTime: true }), 0);
    const due = plan.firstDue() as number;
    expect(due).toBe(at('2026-11-20T19:00:00Z'));
    const nominal = plan.nominalOf(due);
    expect(nominal).toBe(at('2026-11-21T09:00:00Z'));
    expect(plan.endpointDue(nominal, 'Asia/Tokyo')).toBe(at('2026-11-21T00:00:00Z'));
    expect(plan.endpointDue(nominal, 'America/Los_Angeles')).toBe(at('2026-11-21T17:00:00Z'));
    expect(plan.endpointDue(nominal, 'UTC+05:30')).toBe(at('2026-11-21T03:30:00Z'));
    // No zone, or one Herald does not know: the campaign's (UTC).
    expect(plan.endpointDue(nominal, undefined)).toBe(nominal);
    expect(plan.endpointDue(nominal, 'Mars/Olympus')).toBe(nominal);
  });

  it('defers times inside quiet hours to their end, across midnight, in the endpoint’s zone', () => {
    const plan = new RunPlan(schedule({ quietTime: { start: '22:00', end: '07:00' } }), 0);
    expect(plan.afterQuietTime(at('2026-11-21T23:30:00Z'), 'UTC')).toBe(at('2026-11-22T07:00:00Z'));
    expect(plan.afterQuietTime(at('2026-11-21T03:00:00Z'), 'UTC')).toBe(at('2026-11-21T07:00:00Z'));
    expect(plan.afterQuietTime(at('2026-11-21T12:00:00Z'), 'UTC')).toBe(at('2026-11-21T12:00:00Z'));
    // 12:00Z is 21:00 in Tokyo (outside) and 13:00Z is 22:00 there (inside, until 07:00 Tokyo = 22:00Z).
    expect(plan.afterQuietTime(at('2026-11-21T12:00:00Z'), 'Asia/Tokyo')).toBe(at('2026-11-21T12:00:00Z'));
    expect(plan.afterQuietTime(at('2026-11-21T13:00:00Z'), 'Asia/Tokyo')).toBe(at('2026-11-21T22:00:00Z'));
  });
});
