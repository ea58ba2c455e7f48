/**
 * Exponential backoff with full jitter: attempt 1 waits up to `baseMs`, attempt n up to `baseMs * 2^(n-1)`, capped.
 * `random` is injected so tests are exact.
 *
 * @example
 * retryDelayMs(3, { baseMs: 1000, maxMs: 60_000 }, () => 0.5); // 2000
 */
export function retryDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  random: () => number,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half jitter: never retries at once, never all at the same moment.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
