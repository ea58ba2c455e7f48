import { randomBytes } from 'node:crypto';

/** A Meta Graph error as the sandbox answers it: the HTTP status and the `{error: {...}}` body. */
export interface MetaErrorReply {
  readonly status: number;
  readonly code: number;
  readonly body: {
    readonly error: {
      readonly message: string;
      readonly type: string;
      readonly code: number;
      readonly error_data: { readonly messaging_product: 'whatsapp'; readonly details: string };
      readonly is_transient?: boolean;
      readonly fbtrace_id: string;
    };
  };
}

/** Title and HTTP status per code, as Meta's error table (provider-facts §1.7) lists them. */
const CODES: Readonly<Record<number, { title: string; status: number; transient?: boolean }>> = {
  100: { title: 'Invalid parameter', status: 400 },
  190: { title: 'Invalid OAuth access token - Cannot parse access token', status: 401 },
  130429: { title: 'Rate limit hit', status: 400 },
  131000: { title: 'Something went wrong', status: 500, transient: true },
  131008: { title: 'Required parameter is missing', status: 400 },
  131009: { title: 'Parameter value is not valid', status: 400 },
  131026: { title: 'Message undeliverable', status: 400 },
  131047: { title: 'Re-engagement message', status: 400 },
  131048: { title: 'Spam rate limit hit', status: 400 },
  131049: { title: 'This message was not delivered to maintain healthy ecosystem engagement.', status: 400 },
  131052: { title: 'Media download error', status: 400 },
  131053: { title: 'Media upload error', status: 400 },
  131056: { title: '(Business Account, Consumer Account) pair rate limit hit', status: 400 },
  132000: { title: 'Number of parameters does not match the expected number of params', status: 400 },
  132001: { title: 'Template name does not exist in the translation', status: 404 },
  132012: { title: 'Parameter format does not match format in the created template', status: 400 },
  132015: { title: 'Template is Paused', status: 400 },
  132016: { title: 'Template is Disabled', status: 400 },
};

export function metaErrorTitle(code: number): string {
  return CODES[code]?.title ?? 'Error';
}

/**
 * Builds Meta's error answer: `message` is `(#<code>) <title>`, `details` says what exactly was wrong.
 *
 * @example
 * metaError(132001, 'template name (order_update) does not exist in fr') // status 404, body.error.code 132001
 */
export function metaError(code: number, details: string, options: { status?: number } = {}): MetaErrorReply {
  const known = CODES[code];
  return {
    status: options.status ?? known?.status ?? 400,
    code,
    body: {
      error: {
        message: `(#${code}) ${known?.title ?? 'Error'}`,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details },
        ...(known?.transient ? { is_transient: true } : {}),
        fbtrace_id: randomBytes(12).toString('base64url'),
      },
    },
  };
}

/** The error object Meta puts in a `failed` status's `errors[]`. */
export function metaStatusError(code: number, details: string): Record<string, unknown> {
  const title = metaErrorTitle(code);
  return {
    code,
    title,
    message: title,
    error_data: { details },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  };
}
