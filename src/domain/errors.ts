/**
 * The registry of every error code that leaves Herald: its HTTP status, whether a client may retry, and what
 * it means. `docs/errors.md` lists the same codes; `errors.test.ts` fails when the two drift apart.
 *
 * @example
 * throw new HeraldError('HERALD_NOT_FOUND', 'endpoint e-1 does not exist', { field: 'endpointId' });
 */
export const ERROR_CODES = {
  // Request shape
  HERALD_VALIDATION_FAILED: {
    status: 400,
    retryable: false,
    summary: 'A field is missing, malformed or out of range.',
  },
  HERALD_MALFORMED_BODY: {
    status: 400,
    retryable: false,
    summary: 'The body is not valid JSON (or not the declared format).',
  },
  HERALD_UNKNOWN_FIELD: {
    status: 400,
    retryable: false,
    summary: 'The body holds a field Herald does not know; unknown fields are rejected, not ignored.',
  },
  HERALD_PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    summary: 'The body is larger than the configured limit.',
  },
  HERALD_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    summary: 'The Content-Type is not one this route accepts.',
  },
  HERALD_INVALID_CURSOR: {
    status: 400,
    retryable: false,
    summary: 'The pagination cursor is not one Herald issued.',
  },

  // Auth
  HERALD_UNAUTHENTICATED: {
    status: 401,
    retryable: false,
    summary: 'No credentials, or an unknown or revoked API key or admin token.',
  },
  HERALD_FORBIDDEN: {
    status: 403,
    retryable: false,
    summary:
      'The credentials are valid but do not reach this resource (another app, or an admin-only route).',
  },

  // Resources
  HERALD_NOT_FOUND: { status: 404, retryable: false, summary: 'The resource (or route) does not exist.' },
  HERALD_CONFLICT: {
    status: 409,
    retryable: false,
    summary: 'The request conflicts with the current state of the resource.',
  },
  HERALD_VERSION_MISMATCH: {
    status: 409,
    retryable: false,
    summary: 'The resource changed since the version the request was based on.',
  },

  // Audience
  HERALD_INVALID_ADDRESS: {
    status: 400,
    retryable: false,
    summary: 'The address is not valid for its channel type (phone number, LINE user id...).',
  },
  HERALD_QUOTA_EXCEEDED: {
    status: 400,
    retryable: false,
    summary:
      'A Pinpoint quota would be exceeded (attribute sizes, attribute keys per app, endpoints per user...).',
  },
  HERALD_BATCH_INVALID: {
    status: 400,
    retryable: false,
    summary:
      'One or more items of a batch are invalid; `details` lists each index, field and reason. Nothing was written.',
  },

  // Channels and delivery
  HERALD_CHANNEL_NOT_CONFIGURED: {
    status: 422,
    retryable: false,
    summary: 'The app has no channel that can carry this message.',
  },
  HERALD_CHANNEL_CREDENTIALS_REJECTED: {
    status: 422,
    retryable: false,
    summary: 'The provider rejected the channel credentials when they were validated on save.',
  },
  HERALD_CHANNEL_UNSUPPORTED_CONTENT: {
    status: 422,
    retryable: false,
    summary: 'The channel cannot carry this kind of content.',
  },
  HERALD_IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    retryable: false,
    summary: 'The Idempotency-Key was used before with a different request body.',
  },
  HERALD_WEBHOOK_SIGNATURE_INVALID: {
    status: 401,
    retryable: false,
    summary: 'A webhook signature is missing or does not match the raw body.',
  },
  HERALD_CONSENT_TEMPLATE_MISSING: {
    status: 422,
    retryable: false,
    summary:
      'A free-form WhatsApp message needs the app to configure a consent template for when the 24-hour window is closed.',
  },

  // Templates and campaigns
  HERALD_TEMPLATE_VARIABLE_MISSING: {
    status: 422,
    retryable: false,
    summary: 'A template variable has no value and no default.',
  },
  HERALD_TEMPLATE_NOT_APPROVED: {
    status: 422,
    retryable: false,
    summary:
      'The WhatsApp template has no approved language (synced as PAUSED, REJECTED, DISABLED...): WhatsApp would refuse every message.',
  },
  HERALD_CAMPAIGN_STATE: {
    status: 409,
    retryable: false,
    summary: 'The campaign is not in a state that allows this action.',
  },
  HERALD_PROVIDER_ERROR: {
    status: 502,
    retryable: true,
    summary:
      'The provider failed a request Herald made for the app (listing WhatsApp templates): unreachable, or it answered with an error.',
  },
  HERALD_DESTINATION_REFUSED: {
    status: 400,
    retryable: false,
    summary:
      "A URL Herald would call (a channel's base URL or delivery URI, a subscription) is not a public address, and HERALD_OUTBOUND_DESTINATIONS=public allows only public ones.",
  },

  // Server
  HERALD_UNAVAILABLE: {
    status: 503,
    retryable: true,
    summary:
      'Herald is stopping (/readyz), or its database cannot be reached (PostgreSQL down, restarting, failing over or out of connections; a SQLite file another process keeps locked past the busy timeout).',
  },
  HERALD_INTERNAL: {
    status: 500,
    retryable: true,
    summary: 'An unexpected error; the log has the details under the request id.',
  },
} as const satisfies Record<string, { status: number; retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem inside a request, e.g. the third item of a batch: `{ index: 2, field: 'address', reason: '...' }`. */
export interface ErrorDetail {
  readonly field?: string;
  readonly index?: number;
  readonly reason: string;
}

/**
 * An error with a stable code. Thrown from any layer; the HTTP layer turns it into
 * `{ "error": { "code", "message", "field", "details" } }` with the registry's status.
 */
export class HeraldError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly details: readonly ErrorDetail[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; details?: readonly ErrorDetail[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeraldError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

export function isHeraldError(value: unknown): value is HeraldError {
  return value instanceof HeraldError;
}
