import type { SendFailure } from '../../ports/channel-adapter.js';
import { awsError } from '../aws/aws-failure.js';

/** Exceptions whose `Reason` says exactly what is wrong with this message or recipient. */
const WITH_REASON = new Set(['ValidationException', 'ConflictException', 'ServiceQuotaExceededException']);

/**
 * Classifies what SendTextMessage threw: ThrottlingException (MPS exceeded) throttles the sender,
 * InternalServerException is retryable, everything else is permanent; ValidationException, ConflictException
 * (`DESTINATION_PHONE_NUMBER_OPTED_OUT`...) and ServiceQuotaExceededException use their `Reason` as the code.
 *
 * @example
 * smsVoiceFailure(conflict) // { class: 'permanent', code: 'DESTINATION_PHONE_NUMBER_OPTED_OUT', ... }
 */
export function smsVoiceFailure(error: unknown): SendFailure {
  const split = awsError(error);
  if ('transport' in split) return split.transport;
  const { name, message, httpStatus, reason } = split.service;
  const text = `${name}: ${message}`;
  if (name === 'ThrottlingException')
    return { class: 'throttled', code: name, message: text, scope: 'sender' };
  if (name === 'InternalServerException' || (httpStatus !== undefined && httpStatus >= 500))
    return { class: 'retryable', code: name, message: text };
  return { class: 'permanent', code: WITH_REASON.has(name) && reason ? reason : name, message: text };
}
