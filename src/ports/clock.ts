/**
 * Time, injected so that schedules, windows, leases and expiries are tested without sleeping.
 * Leaves out timers: code that waits takes a `sleep` from its caller, not from the clock.
 *
 * @example
 * const clock: Clock = { now: () => Date.parse('2026-11-21T10:00:00Z') };
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}
