import type { SendFailure } from '../../ports/channel-adapter.js';

/** What the AWS SDK's service exceptions carry. */
export interface AwsServiceError {
  readonly name: string;
  readonly message: string;
  readonly httpStatus: number | undefined;
  /** `Reason` of SMS ValidationException/ConflictException and similar. */
  readonly reason: string | undefined;
}

/**
 * Splits what an AWS SDK call threw into a service answer (an exception with an HTTP status) and a transport
 * failure (no answer: timeout, refused or reset connection), which is retryable: the request may or may not have
 * been accepted, as with any lost response. A destination HERALD_OUTBOUND_DESTINATIONS refuses is final.
 */
export function awsError(error: unknown): { service: AwsServiceError } | { transport: SendFailure } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const metadata = e.$metadata as { httpStatusCode?: unknown } | undefined;
  const httpStatus = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  if (httpStatus !== undefined || e.$fault !== undefined) {
    return {
      service: {
        name,
        message: typeof e.message === 'string' ? e.message : name,
        httpStatus,
        reason: typeof e.Reason === 'string' ? e.Reason : undefined,
      },
    };
  }
  const code = typeof e.code === 'string' ? e.code : undefined;
  // HERALD_OUTBOUND_DESTINATIONS refused the address: asking again cannot change the answer.
  if (code === 'HERALD_DESTINATION_REFUSED') {
    return {
      transport: {
        class: 'permanent',
        code,
        message: typeof e.message === 'string' ? e.message : 'destination refused',
      },
    };
  }
  const timedOut =
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT';
  const detail = code ?? name;
  return {
    transport: timedOut
      ? { class: 'retryable', code: 'timeout', message: `no answer in time (${detail})` }
      : { class: 'retryable', code: 'connection_error', message: `connection failed (${detail})` },
  };
}
