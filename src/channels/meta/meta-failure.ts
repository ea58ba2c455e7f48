import type { SendFailure } from '../../ports/channel-adapter.js';

/** A Meta error as it appears in a response body (`error`) or a status webhook (`errors[]`). */
export interface MetaError {
  readonly code?: number;
  readonly message: string;
  /** `error_data.details`: Meta's own advice is to build on `code` and this, never on titles. */
  readonly details?: string;
  readonly isTransient?: boolean;
}

/** App- and number-level throughput limits: the whole sender slows down. */
const THROTTLED_SENDER = new Set([4, 80007, 130429]);
/** Transient on Meta's side: try again with backoff. */
const RETRYABLE = new Set([131000, 131016, 131057]);
const WINDOW_CLOSED = 131047;
const PAIR_RATE = 131056;

/**
 * Classifies a Meta error by its `code` (never by the HTTP status alone: Meta answers 400 for throttling and some
 * integrators see 429 for the same code). Without a code, the HTTP status decides: 5xx retryable, 429 throttled.
 * `attempt` sizes the pair-rate wait: Meta suggests 4^attempt seconds for that recipient.
 *
 * @example
 * metaFailure({ code: 131047, message: 'Re-engagement message' }, 400) // { class: 'window_closed', code: '131047', ... }
 */
export function metaFailure(error: MetaError, httpStatus: number, attempt = 1): SendFailure {
  const message =
    error.details && error.details !== error.message ? `${error.message}: ${error.details}` : error.message;
  const { code } = error;
  if (code === undefined) {
    const label = `http_${httpStatus}`;
    if (httpStatus === 429) return { class: 'throttled', code: label, message, scope: 'sender' };
    if (httpStatus >= 500) return { class: 'retryable', code: label, message };
    return { class: 'permanent', code: label, message };
  }
  const text = String(code);
  if (code === PAIR_RATE) {
    return {
      class: 'throttled',
      code: text,
      message,
      scope: 'recipient',
      retryAfterMs: 4 ** Math.min(Math.max(attempt, 1), 6) * 1000,
    };
  }
  if (THROTTLED_SENDER.has(code)) return { class: 'throttled', code: text, message, scope: 'sender' };
  if (code === WINDOW_CLOSED) return { class: 'window_closed', code: text, message };
  if (RETRYABLE.has(code) || error.isTransient === true) return { class: 'retryable', code: text, message };
  return { class: 'permanent', code: text, message };
}

/**
 * Reads Meta's error body (`{"error": {code, message, error_data: {details}, is_transient}}`); anything else (a
 * proxy's HTML page, an empty body) becomes a code-less error the HTTP status classifies.
 */
export function parseMetaError(bodyText: string): MetaError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return { message: bodyText.slice(0, 200) || 'empty response' };
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return { message: bodyText.slice(0, 200) };
  const e = error as Record<string, unknown>;
  const data = e.error_data as Record<string, unknown> | undefined;
  const code = typeof e.code === 'number' ? e.code : typeof e.code === 'string' ? Number(e.code) : Number.NaN;
  return {
    ...(Number.isInteger(code) ? { code } : {}),
    message: typeof e.message === 'string' ? e.message : 'Meta error',
    ...(typeof data?.details === 'string' ? { details: data.details } : {}),
    ...(typeof e.is_transient === 'boolean' ? { isTransient: e.is_transient } : {}),
  };
}
