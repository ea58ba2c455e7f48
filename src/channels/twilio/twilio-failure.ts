import type { SendFailure } from '../../ports/channel-adapter.js';
import type { ProviderNetworkFailure } from '../http/provider-request.js';

/**
 * Twilio's REST error body (`{code, message, more_info, status}`), as Herald keeps it.
 *
 * @example
 * const error: TwilioError = { code: 21211, message: "The 'To' number 123 is not a valid phone number.", moreInfo: 'https://www.twilio.com/docs/errors/21211' };
 */
export interface TwilioError {
  readonly code?: number;
  readonly message: string;
  readonly moreInfo?: string;
}

/** Too fast: the account's API concurrency (20429) or the sender's queue (21611). */
const THROTTLED = new Set([20429, 21611]);

export function parseTwilioError(text: string): TwilioError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) || 'empty response' };
  }
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const code = typeof body.code === 'number' ? body.code : Number(body.code);
  return {
    ...(Number.isInteger(code) ? { code } : {}),
    message: typeof body.message === 'string' ? body.message : text.slice(0, 200),
    ...(typeof body.more_info === 'string' ? { moreInfo: body.more_info } : {}),
  };
}

/**
 * Classifies a Twilio error by its code first, then the HTTP status: 429 and 20429 throttled; 5xx retryable;
 * everything else permanent, among them 20003 (authentication), 21211 and 21614 (not a valid or not a mobile
 * number) and 21610 (the recipient replied STOP). The code is Twilio's, as a string, so the delivery engine can
 * act on 21610.
 *
 * @example
 * twilioFailure(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient' })
 * // { class: 'permanent', code: '21610', message: 'Attempt to send to unsubscribed recipient' }
 */
export function twilioFailure(status: number, error: TwilioError): SendFailure {
  const code = error.code === undefined ? `http_${status}` : String(error.code);
  const { message } = error;
  if (status === 429 || (error.code !== undefined && THROTTLED.has(error.code))) {
    return { class: 'throttled', code, message, scope: 'sender' };
  }
  if (status >= 500) return { class: 'retryable', code, message };
  return { class: 'permanent', code, message };
}

/** No answer: Twilio may have queued the message (it has no idempotency key), so a retry may send it twice. */
export function twilioNetworkFailure(failure: ProviderNetworkFailure): SendFailure {
  const refused = failure.kind === 'refused';
  return {
    class: refused ? 'permanent' : 'retryable',
    code: refused ? 'HERALD_DESTINATION_REFUSED' : failure.kind,
    message: `Twilio: ${failure.message}`,
  };
}
