import type { SendFailure } from '../../ports/channel-adapter.js';
import type { ProviderNetworkFailure } from '../http/provider-request.js';

/**
 * LINE's error body: `{message, details?: [{message, property}]}`. LINE has no numeric codes.
 *
 * @example
 * const error: LineError = { message: 'The request body has 1 error(s)', details: [{ message: 'May not be empty', property: 'messages[0].text' }] };
 */
export interface LineError {
  readonly message: string;
  readonly details: readonly { readonly message: string; readonly property?: string }[];
}

const MONTHLY_LIMIT = /monthly limit/i;

/** Reads LINE's error body; anything else (an HTML page, nothing) keeps the first 200 characters as the message. */
export function parseLineError(text: string): LineError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) || 'empty response', details: [] };
  }
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const details = Array.isArray(body.details)
    ? body.details.flatMap((d: unknown) => {
        if (typeof d !== 'object' || d === null) return [];
        const { message, property } = d as Record<string, unknown>;
        if (typeof message !== 'string') return [];
        return [{ message, ...(typeof property === 'string' ? { property } : {}) }];
      })
    : [];
  return { message: typeof body.message === 'string' ? body.message : text.slice(0, 200), details };
}

/**
 * Classifies a LINE error answer. 429 means two things, told apart only by the message: the per-endpoint rate
 * limit (throttled: slow the channel down) and the monthly message quota (permanent until the quota is raised
 * or the month turns; retrying within minutes cannot help). 5xx is retryable; every other 4xx is permanent and
 * keeps LINE's message and details, which name the property at fault.
 *
 * @example
 * lineFailure(429, { message: 'You have reached your monthly limit.', details: [] })
 * // { class: 'permanent', code: 'monthly_limit', message: 'You have reached your monthly limit.' }
 */
export function lineFailure(status: number, error: LineError): SendFailure {
  const details = error.details.map((d) => (d.property ? `${d.property}: ${d.message}` : d.message));
  const message = details.length > 0 ? `${error.message} (${details.join('; ')})` : error.message;
  if (status === 429) {
    if (MONTHLY_LIMIT.test(error.message)) return { class: 'permanent', code: 'monthly_limit', message };
    return { class: 'throttled', code: 'http_429', message, scope: 'sender' };
  }
  if (status >= 500) return { class: 'retryable', code: `http_${status}`, message };
  return { class: 'permanent', code: `http_${status}`, message };
}

/** A call that got no answer: LINE may have accepted it, so only a retry with the same retry key is safe. */
export function lineNetworkFailure(failure: ProviderNetworkFailure): SendFailure {
  const refused = failure.kind === 'refused';
  return {
    class: refused ? 'permanent' : 'retryable',
    code: refused ? 'HERALD_DESTINATION_REFUSED' : failure.kind,
    message: `LINE: ${failure.message}`,
  };
}
