import type { Readable } from 'node:stream';
import type { HeraldConfig } from '../config/load-config.js';
import type { HttpPools } from '../ports/http-pools.js';

/** An error answer from Herald: its stable code, the field at fault and the details, as the API sent them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details: readonly { index?: number; field?: string; reason: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** `HERALD_NOT_FOUND (appId): app x does not exist`, then one line per detail. */
  describe(): string {
    const head = `${this.code}${this.field ? ` (${this.field})` : ''}: ${this.message}`;
    const lines = this.details
      .slice(0, 20)
      .map(
        (d) =>
          `  ${d.index !== undefined ? `items[${d.index}] ` : ''}${d.field ?? ''}${d.field ? ': ' : ''}${d.reason}`,
      );
    return [head, ...lines].join('\n');
  }
}

/**
 * One request's query, body and content type.
 *
 * @example
 * await api.request('POST', `/v1/apps/${appId}/imports`, { body: fs.createReadStream(file), contentType: 'text/csv', contentLength: size });
 */
export interface ApiRequest {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body. */
  readonly json?: unknown;
  /** A raw body (a file stream), sent with `contentType` and `contentLength`. */
  readonly body?: Readable | string;
  readonly contentType?: string;
  readonly contentLength?: number;
}

/**
 * A small client of Herald's HTTP API for CLI commands (`herald import`, `herald send`, `herald campaigns`):
 * keep-alive undici pool, the credential on every request, JSON in and out, errors as `ApiError` with Herald's
 * code, field and message.
 *
 * @example
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:3000', credential: 'hk_...', pools });
 * const app = await api.request<{ id: string }>('GET', `/v1/apps/${appId}`);
 */
export interface ApiClient {
  readonly baseUrl: string;
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, request?: ApiRequest): Promise<T>;
}

export function createApiClient(options: {
  baseUrl: string;
  credential: string;
  pools: HttpPools;
}): ApiClient {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/$/, '');
  const pool = options.pools.pool(base.origin);
  return {
    baseUrl: options.baseUrl,
    async request<T>(
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: string,
      request: ApiRequest = {},
    ): Promise<T> {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) search.set(key, String(value));
      }
      const query = search.size > 0 ? `?${search.toString()}` : '';
      const headers: Record<string, string> = {
        authorization: `Bearer ${options.credential}`,
        accept: 'application/json',
      };
      let body: Readable | string | undefined;
      if (request.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(request.json);
      } else if (request.body !== undefined) {
        headers['content-type'] = request.contentType ?? 'application/octet-stream';
        if (request.contentLength !== undefined) headers['content-length'] = String(request.contentLength);
        body = request.body;
      }
      let response: Awaited<ReturnType<typeof pool.request>>;
      try {
        response = await pool.request({
          method,
          path: `${prefix}${path}${query}`,
          headers,
          ...(body !== undefined ? { body } : {}),
        });
      } catch (error) {
        const reason = (error as { code?: string; message?: string }).code ?? (error as Error).message;
        throw new Error(
          `cannot reach Herald at ${options.baseUrl} (${reason}); is it running? (--url or HERALD_PUBLIC_URL)`,
        );
      }
      const text = await response.body.text();
      let parsed: unknown;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : null;
      } catch {
        parsed = undefined;
      }
      if (response.statusCode >= 400) {
        const error = (
          parsed as
            | { error?: { code?: string; message?: string; field?: string; details?: ApiError['details'] } }
            | undefined
        )?.error;
        if (error?.code) {
          throw new ApiError(
            response.statusCode,
            error.code,
            error.message ?? '',
            error.field,
            error.details ?? [],
          );
        }
        throw new ApiError(
          response.statusCode,
          `HTTP_${response.statusCode}`,
          text.slice(0, 200) || 'no body',
        );
      }
      if (parsed === undefined)
        throw new Error(`Herald answered ${method} ${path} with a body that is not JSON`);
      return parsed as T;
    },
  };
}

/**
 * Where and as whom a CLI command calls Herald: `--url`, else the configured public URL; `--api-key`, else
 * `HERALD_API_KEY`, else the admin token.
 */
export function apiTarget(
  config: HeraldConfig,
  flags: { url?: string | undefined; apiKey?: string | undefined },
): { baseUrl: string; credential: string } {
  const credential = flags.apiKey ?? config.apiKey ?? (config.adminToken || undefined);
  if (credential === undefined)
    throw new Error('no credential: give --api-key, or set HERALD_API_KEY (or HERALD_ADMIN_TOKEN)');
  return { baseUrl: flags.url ?? config.publicUrl, credential };
}
