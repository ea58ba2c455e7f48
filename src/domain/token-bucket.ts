/**
 * A token bucket: `ratePerSecond` tokens flow in, up to `burst`. Pure and clock-free: the caller passes the time,
 * so it serves the delivery engine (a sender's rate) and the sandboxes (a provider's throughput limit) alike.
 *
 * @example
 * const bucket = new TokenBucket({ ratePerSecond: 80, burst: 80 }, now);
 * if (bucket.tryTake(now)) send(); else wait(bucket.msUntilAvailable(now));
 */
/** Float accumulation of rate * elapsed drifts below whole numbers (0.9999999); this absorbs it. */
const EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private rate: number;
  private burst: number;

  constructor(options: { ratePerSecond: number; burst?: number; initialTokens?: number }, now: number) {
    this.rate = options.ratePerSecond;
    this.burst = options.burst ?? Math.max(1, options.ratePerSecond);
    this.tokens = options.initialTokens ?? this.burst;
    this.updatedAt = now;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  /** The most tokens the bucket holds. */
  get capacity(): number {
    return this.burst;
  }

  /** Changes the rate (and burst) from now on, keeping the tokens already earned. */
  setRate(ratePerSecond: number, now: number, burst?: number): void {
    this.refill(now);
    this.rate = ratePerSecond;
    this.burst = burst ?? Math.max(1, ratePerSecond);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  tryTake(now: number, count = 1): boolean {
    this.refill(now);
    if (this.tokens + EPSILON < count) return false;
    this.tokens = Math.max(0, this.tokens - count);
    return true;
  }

  /** Takes up to `max` whole tokens; returns how many it took. */
  takeUpTo(now: number, max: number): number {
    this.refill(now);
    const n = Math.max(0, Math.min(max, Math.floor(this.tokens + EPSILON)));
    this.tokens = Math.max(0, this.tokens - n);
    return n;
  }

  /** Returns tokens taken but not used (fewer jobs were waiting than tokens taken). */
  giveBack(count: number): void {
    this.tokens = Math.min(this.burst, this.tokens + count);
  }

  /** Milliseconds until `count` tokens are available (0 if they are now). */
  msUntilAvailable(now: number, count = 1): number {
    this.refill(now);
    if (this.tokens + EPSILON >= count) return 0;
    if (this.rate <= 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((count - this.tokens) / this.rate) * 1000);
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.rate);
      this.updatedAt = now;
    }
  }
}
