import { DateTime, type DurationLikeObject } from 'luxon';
import type { CampaignFrequency, CampaignSchedule } from '../../domain/campaign.js';
import { zoneName } from '../zone-name.js';

/** The first zone to reach any wall-clock time: a local-time run starts when it gets there. */
const EARLIEST_ZONE = 'UTC+14';

const PERIOD: Readonly<Record<Exclude<CampaignFrequency, 'ONCE' | 'EVENT'>, DurationLikeObject>> = {
  HOURLY: { hours: 1 },
  DAILY: { days: 1 },
  WEEKLY: { weeks: 1 },
  MONTHLY: { months: 1 },
};

/**
 * When each run happens. A run has a nominal time (the schedule's start plus k whole periods in the campaign's time
 * zone, each counted from the start: a daily run keeps its wall-clock time across daylight-saving changes, a monthly
 * run from the 31st is on the last day of shorter months and on the 31st again after them) and a due time when the
 * scheduler starts it: the nominal time, or for local-time campaigns the moment the earliest time zone reaches its
 * wall-clock time.
 *
 * @example
 * const plan = new RunPlan(schedule, createdAt);
 * plan.firstDue();                  // when the first run starts
 * plan.nextDueAfter(nominal, now);  // the run after `nominal` that is still to come, or null
 */
export class RunPlan {
  private readonly zone: string;
  private readonly start: number;

  constructor(
    private readonly schedule: CampaignSchedule,
    createdAt: number,
  ) {
    this.zone = zoneName(schedule.timezone) ?? 'UTC';
    this.start = schedule.startTime === 'IMMEDIATE' ? createdAt : schedule.startTime;
  }

  /** The first run's due time; null when it would start after the end time. */
  firstDue(): number | null {
    return this.withinEnd(this.start) ? this.dueOf(this.start) : null;
  }

  /** The nominal time of the run due at `due`. */
  nominalOf(due: number): number {
    if (!this.schedule.isLocalTime) return due;
    const wall = DateTime.fromMillis(due, { zone: EARLIEST_ZONE });
    return wall.setZone(this.zone, { keepLocalTime: true }).toMillis();
  }

  /**
   * The first run after the one at `nominal` whose due time is after `now` (missed runs are skipped); or null.
   * `nominal` need not be a run of this plan (one planned before runs were counted from the start was not). A
   * schedule that does not recur has its start as its only run.
   */
  nextDueAfter(nominal: number, now: number): number | null {
    const next = this.firstRunWhere((run) => run > nominal && this.dueOf(run) > now);
    return next !== undefined && this.withinEnd(next) ? this.dueOf(next) : null;
  }

  /**
   * The next run once this plan replaces `previous` in a campaign that has run and was waiting for the run due at
   * `awaited` (null: none was left). With the same runs (only the end time, or nothing in the schedule, changed),
   * the awaited run stays next, even when overdue (a paused campaign's): an update neither runs a period again nor
   * loses one. With other runs, the first one due after `now` (the start, if later).
   */
  nextDueReplacing(previous: RunPlan, awaited: number | null, now: number): number | null {
    if (awaited === null || !this.sameRunsAs(previous))
      return this.nextDueAfter(Number.NEGATIVE_INFINITY, now);
    const nominal = this.nominalOf(awaited);
    const next = this.firstRunWhere((run) => run >= nominal);
    return next !== undefined && this.withinEnd(next) ? this.dueOf(next) : null;
  }

  /** When an endpoint in `endpointZone` gets the run at `nominal`: the same wall-clock time there, for local time. */
  endpointDue(nominal: number, endpointZone: string | undefined): number {
    if (!this.schedule.isLocalTime) return nominal;
    const zone = zoneName(endpointZone) ?? this.zone;
    if (zone === this.zone) return nominal;
    return DateTime.fromMillis(nominal, { zone: this.zone })
      .setZone(zone, { keepLocalTime: true })
      .toMillis();
  }

  /**
   * `at`, or the end of quiet time when `at` falls inside it in the endpoint's zone (the campaign's zone when the
   * endpoint has none). Quiet time may run past midnight (22:00-07:00).
   */
  afterQuietTime(at: number, endpointZone: string | undefined): number {
    const quiet = this.schedule.quietTime;
    if (!quiet) return at;
    const zone = zoneName(endpointZone) ?? this.zone;
    const local = DateTime.fromMillis(at, { zone });
    const minute = local.hour * 60 + local.minute;
    const start = minutesOf(quiet.start);
    const end = minutesOf(quiet.end);
    if (start === end) return at;
    const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
    if (!inside) return at;
    let until = local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
    if (until.toMillis() <= at) until = until.plus({ days: 1 });
    return until.toMillis();
  }

  /**
   * The first run (the start plus k periods, k >= 0; only the start when not recurring) for which `holds`; `holds`
   * must be false up to some run and true from there on. Found by doubling k, then halving the range: a few dozen
   * steps even after decades of hourly runs, where an estimate from one period's length (23 hours on a DST day, 28
   * days in February) could jump past runs still to come. Undefined when there is none (or none in the dates Luxon
   * knows).
   */
  private firstRunWhere(holds: (run: number) => boolean): number | undefined {
    if (holds(this.start)) return this.start;
    if (!(this.schedule.frequency in PERIOD)) return undefined;
    let below = 0;
    let above = 1;
    for (let run = this.nth(above); !holds(run); run = this.nth(above)) {
      if (Number.isNaN(run)) return undefined;
      below = above;
      above *= 2;
    }
    // holds(nth(above)), and not holds(nth(below)).
    while (above - below > 1) {
      const middle = Math.floor((below + above) / 2);
      if (holds(this.nth(middle))) above = middle;
      else below = middle;
    }
    return this.nth(above);
  }

  /** The start plus k periods: from the start each time, so a run clamped to a short month's end is not carried on. */
  private nth(k: number): number {
    const period = PERIOD[this.schedule.frequency as keyof typeof PERIOD];
    return DateTime.fromMillis(this.start, { zone: this.zone })
      .plus(Object.fromEntries(Object.entries(period).map(([unit, n]) => [unit, (n as number) * k])))
      .toMillis();
  }

  /** Whether both plans have the same runs at the same due times (their end times aside). */
  private sameRunsAs(other: RunPlan): boolean {
    return (
      this.start === other.start &&
      this.zone === other.zone &&
      this.schedule.frequency === other.schedule.frequency &&
      this.schedule.isLocalTime === other.schedule.isLocalTime
    );
  }

  private dueOf(nominal: number): number {
    if (!this.schedule.isLocalTime) return nominal;
    return DateTime.fromMillis(nominal, { zone: this.zone })
      .setZone(EARLIEST_ZONE, { keepLocalTime: true })
      .toMillis();
  }

  private withinEnd(nominal: number): boolean {
    return this.schedule.endTime === undefined || nominal <= this.schedule.endTime;
  }
}

/** `HH:MM` as minutes after midnight. */
export function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}
