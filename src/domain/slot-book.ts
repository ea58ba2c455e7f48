/**
 * Send slots of a campaign run at `messagesPerSecond`: slot `i` is `origin + i * 1000 / rate` ms. Each message takes
 * the first free slot at or after the time it is due, so however the due times are spread (time zones, quiet
 * hours) no second holds more than the rate. Taken slots are kept as merged intervals: a run whose due times fall
 * in a few groups keeps a few intervals, whatever its size, and they are saved with the run's progress.
 *
 * @example
 * const book = new SlotBook(origin, 10, []);
 * book.take(origin);        // origin
 * book.take(origin);        // origin + 100
 * book.take(origin + 5000); // origin + 5000
 */
export class SlotBook {
  private readonly taken: [number, number][];

  constructor(
    private readonly origin: number,
    private readonly ratePerSecond: number,
    taken: readonly (readonly [number, number])[],
  ) {
    this.taken = taken.map(([start, end]) => [start, end]);
  }

  /** The send time of the first free slot at or after `dueAt`, now taken. */
  take(dueAt: number): number {
    let slot = Math.max(0, Math.ceil(((dueAt - this.origin) * this.ratePerSecond) / 1000 - 1e-9));
    // Intervals are sorted, disjoint and never adjacent (adjacent ones are merged).
    let index = 0;
    for (; index < this.taken.length; index++) {
      const [start, end] = this.taken[index] as [number, number];
      if (end <= slot) continue;
      if (start <= slot) {
        slot = end;
        continue;
      }
      break;
    }
    const previous = this.taken[index - 1];
    const next = this.taken[index];
    if (previous && previous[1] === slot) {
      previous[1] = slot + 1;
      if (next && next[0] === slot + 1) {
        previous[1] = next[1];
        this.taken.splice(index, 1);
      }
    } else if (next && next[0] === slot + 1) {
      next[0] = slot;
    } else {
      this.taken.splice(index, 0, [slot, slot + 1]);
    }
    return this.origin + Math.floor((slot * 1000) / this.ratePerSecond);
  }

  /** The taken intervals, to save. */
  get intervals(): readonly (readonly [number, number])[] {
    return this.taken.map(([start, end]) => [start, end] as const);
  }
}
