import type { SendFailure } from '../../ports/channel-adapter.js';
import { awsError } from '../aws/aws-failure.js';
import { metaFailure } from '../meta/meta-failure.js';

const RETRYABLE = new Set(['DependencyException', 'InternalServiceException']);

/**
 * Classifies what SendWhatsAppMessage threw. A Meta error code quoted in AWS's message (`(#131047) ...`) decides
 * first, since it says exactly what happened at Meta; then AWS's exception: ThrottledRequestException throttles the
 * sender, DependencyException (Meta failed) and InternalServiceException are retryable, the rest permanent.
 *
 * @example
 * socialMessagingFailure(error, 1) // ThrottledRequestException -> { class: 'throttled', code: 'ThrottledRequestException', ... }
 */
export function socialMessagingFailure(error: unknown, attempt: number): SendFailure {
  const split = awsError(error);
  if ('transport' in split) return split.transport;
  const { name, message, httpStatus } = split.service;
  const metaCode = metaCodeIn(message);
  if (metaCode !== undefined) {
    const failure = metaFailure({ code: metaCode, message }, httpStatus ?? 400, attempt);
    return failure;
  }
  const text = `${name}: ${message}`;
  if (name === 'ThrottledRequestException' || httpStatus === 429)
    return { class: 'throttled', code: name, message: text, scope: 'sender' };
  if (RETRYABLE.has(name) || (httpStatus !== undefined && httpStatus >= 500))
    return { class: 'retryable', code: name, message: text };
  return { class: 'permanent', code: name, message: text };
}

/** `(#131047)` as Meta writes codes in its messages. */
function metaCodeIn(message: string): number | undefined {
  const match = /\(#(\d{1,6})\)/.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
