import { describe, expect, it } from 'vitest';
import type { CampaignSchedule } from '../../domain/campaign.js';
import { RunPlan, zoneName } from './campaign-schedule.js';

const at = (iso: string) => Date.parse(iso);
const schedule = (overrides: Partial<CampaignSchedule>): CampaignSchedule => ({
  startTime: at('2026-03-07T09:00:00Z'),
  frequency: 'ONCE',
  isLocalTime: false,
  ...overrides,
});

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

describe('zoneName', () => {
  it('takes IANA names and Pinpoint’s UTC offsets', () => {
    expect(zoneName('Europe/Paris')).toBe('Europe/Paris');
    expect(zoneName('UTC')).toBe('UTC');
    expect(zoneName('UTC+01')).toBe('UTC+1');
    expect(zoneName('UTC-11')).toBe('UTC-11');
    expect(zoneName('UTC+05:45')).toBe('UTC+5:45');
    expect(zoneName('UTC+15')).toBeUndefined();
    expect(zoneName('Nowhere/City')).toBeUndefined();
    expect(zoneName(undefined)).toBeUndefined();
  });
});
