import type { SendFailure } from '../../ports/channel-adapter.js';

/** Waits past an hour are not what a throttle means; the engine's own backoff takes over beyond it. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * The wait a `Retry-After` header asks for (delta-seconds or an HTTP date), in milliseconds; undefined when the
 * header is absent or not one of the two.
 *
 * @example
 * retryAfterMs({ 'retry-after': '30' }, Date.now()); // 30000
 */
export function retryAfterMs(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number,
): number | undefined {
  const raw = headers['retry-after'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  // An HTTP date names its day and month (Date.parse alone takes '-5' as a year).
  else if (/^[A-Za-z]{3}, /.test(value)) {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  } else return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/**
 * A throttled failure with the provider's `Retry-After` when it gave one (and the failure has none of its own):
 * the delivery engine waits that long instead of its default second.
 *
 * @example
 * withRetryAfter(twilioFailure(429, error), response.headers, clock.now());
 */
export function withRetryAfter(
  failure: SendFailure,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number,
): SendFailure {
  if (failure.class !== 'throttled' || failure.retryAfterMs !== undefined) return failure;
  const wait = retryAfterMs(headers, now);
  return wait === undefined ? failure : { ...failure, retryAfterMs: wait };
}
