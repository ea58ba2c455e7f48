import type { Dispatcher } from 'undici';
import type { HttpPools } from '../../ports/http-pools.js';
import { withDeadline } from './with-deadline.js';

type IncomingHttpHeaders = Dispatcher.ResponseData['headers'];

/**
 * A provider's HTTP answer, body read as text.
 *
 * @example
 * if (response.status === 201) JSON.parse(response.text).sid;
 */
export interface ProviderResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/**
 * A call that produced no HTTP answer: `timeout` when the provider did not answer in time (it may still have
 * acted on the request), `network` when the connection failed, `refused` when Herald would not connect to the
 * address (HERALD_OUTBOUND_DESTINATIONS=public): retrying cannot help.
 *
 * @example
 * const failure: ProviderNetworkFailure = { kind: 'timeout', message: 'no answer within 10000 ms' };
 */
export interface ProviderNetworkFailure {
  readonly kind: 'timeout' | 'network' | 'refused';
  readonly message: string;
}

export type ProviderResult =
  | { readonly ok: true; readonly response: ProviderResponse }
  | { readonly ok: false; readonly failure: ProviderNetworkFailure };

/**
 * One call to a provider.
 *
 * @example
 * const call: ProviderRequest = { method: 'GET', baseUrl: 'https://api.line.me', path: '/v2/bot/info', timeoutMs: 5000 };
 */
export interface ProviderRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** The provider's base URL; a path in it (a sandbox mounted under `/sandbox/line`) is kept. */
  readonly baseUrl: string;
  /** Appended to the base URL's path, with its query string. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * One request to a provider through the shared keep-alive pools. Never throws for a failed call: the caller
 * classifies the outcome (an HTTP answer, a timeout or a connection failure), which is what a channel adapter
 * turns into a `SendFailure`.
 *
 * @example
 * const result = await providerRequest(deps.http, { method: 'GET', baseUrl, path: '/v2/bot/info', timeoutMs: 5000 });
 * if (result.ok && result.response.status === 200) ...
 */
export async function providerRequest(http: HttpPools, request: ProviderRequest): Promise<ProviderResult> {
  const base = new URL(request.baseUrl);
  const path = `${base.pathname.replace(/\/$/, '')}${request.path}`;
  try {
    // undici's own header/body timeouts tick coarsely (a 400 ms one fires after about a second); an abort
    // signal holds the deadline for the whole exchange, body included.
    const response = await withDeadline(request.timeoutMs, async (signal) => {
      const answer = await http.pool(base.origin).request({
        method: request.method,
        path,
        headers: { ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
      });
      return { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() };
    });
    return { ok: true, response };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const name = (error as { name?: unknown }).name;
    if (name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
      return { ok: false, failure: { kind: 'timeout', message: `no answer within ${request.timeoutMs} ms` } };
    }
    if (code === 'HERALD_DESTINATION_REFUSED') return { ok: false, failure: { kind: 'refused', message } };
    return { ok: false, failure: { kind: 'network', message: `connection failed: ${message}` } };
  }
}

/** A header's value as one string (the first of a repeated header). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Parses a JSON body, or returns undefined for anything that is not JSON (a proxy's HTML page, an empty body). */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
