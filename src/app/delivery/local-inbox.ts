import type { InboxEntry } from '../../ports/inbox-store.js';

/**
 * Webhook events this process stored and processes itself, handed from the webhook route to the inbox processor
 * in memory. They are stored already leased to this process, so the processor neither claims them (an UPDATE of
 * every stored row) nor reads and parses them back; after a crash their lease runs out and any process claims them
 * from the inbox as usual. Bounded: past `capacity` waiting events, new ones are stored unleased and wait in the
 * table, where other workers can take them too.
 *
 * @example
 * const lockedUntil = local.lease(events.length, now); // undefined: store them unleased
 * const stored = await inbox.append(entries, { lockedUntil });
 * if (lockedUntil !== undefined) local.push(entries.filter((e) => stored.includes(e.id)), lockedUntil);
 */
export class LocalInbox {
  private waiting: { entry: InboxEntry; lockedUntil: number }[] = [];
  private open = false;

  constructor(
    private readonly options: {
      readonly leaseMs: number;
      readonly capacity: number;
      /** An event whose lease has less than this left is left to a claim from the table. */
      readonly marginMs: number;
    },
  ) {}

  /** The processor runs in this process: events may be handed to it. */
  start(): void {
    this.open = true;
  }

  /** Stops taking events; returns the ids of those still waiting, to be given back to the table. */
  stop(): string[] {
    this.open = false;
    const ids = this.waiting.map((w) => w.entry.id);
    this.waiting = [];
    return ids;
  }

  /** The lease to store `count` new events under when this process will process them; undefined when not. */
  lease(count: number, now: number): number | undefined {
    if (!this.open || this.waiting.length + count > this.options.capacity) return undefined;
    return now + this.options.leaseMs;
  }

  push(entries: readonly InboxEntry[], lockedUntil: number): void {
    if (!this.open) return;
    for (const entry of entries) this.waiting.push({ entry, lockedUntil });
  }

  /** Up to `limit` events, oldest first. */
  take(limit: number, now: number): InboxEntry[] {
    const out: InboxEntry[] = [];
    let i = 0;
    for (; i < this.waiting.length && out.length < limit; i++) {
      const waiting = this.waiting[i];
      if (waiting && waiting.lockedUntil - now > this.options.marginMs) out.push(waiting.entry);
    }
    this.waiting = this.waiting.slice(i);
    return out;
  }

  get size(): number {
    return this.waiting.length;
  }
}
