/**
 * Group commit: concurrent callers' items are written together. When nothing is being written, a submitted item
 * is written at once (or on the next turn of the event loop with `linger`); while a write is in progress, new items
 * wait and go out together in the next one (or, with `writesInFlight: 2`, in a second write started alongside).
 * Under load that turns a transaction per request into a transaction per batch.
 *
 * @example
 * const enqueue = new Coalescer((items) => queue.enqueue(items), { maxBatch: 500 });
 * const [result] = await Promise.all([enqueue.submit(item)]);
 */
export class Coalescer<Item, Result> {
  private waiting: { item: Item; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private writing = 0;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly write: (items: Item[]) => Promise<readonly Result[]>,
    private readonly options: {
      readonly maxBatch: number;
      /**
       * Start an idle write on the next turn of the event loop rather than at once, so requests that arrived
       * together are written together even when a write completes synchronously (better-sqlite3).
       */
      readonly linger?: boolean;
      /**
       * Writes in flight at once (1 by default). With 2, items that arrive during a write go out in a second one
       * without waiting for the first to commit: on PostgreSQL one write's commit (a WAL flush) overlaps the next,
       * and the process does not sit idle while every request waits on the same commit. Batches may then commit
       * out of order.
       */
      readonly writesInFlight?: number;
    },
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // A write in progress or about to start takes what is waiting: another starts only for the first item
      // that arrives during a write, and only while fewer than `writesInFlight` are running.
      if (this.writing >= (this.options.writesInFlight ?? 1)) return;
      if (this.writing > 0 && this.waiting.length > 1) return;
      this.writing += 1;
      if (this.options.linger) setImmediate(() => void this.drain());
      else void this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.options.maxBatch);
        try {
          const results = await this.write(batch.map((w) => w.item));
          batch.forEach((w, i) => {
            const result = results[i];
            if (result === undefined)
              w.reject(new Error('the batch write returned fewer results than items'));
            else w.resolve(result);
          });
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.writing -= 1;
    }
  }
}
