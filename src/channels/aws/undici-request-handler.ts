import type { Readable } from 'node:stream';
import type { HttpPools } from '../../ports/http-pools.js';
import { withDeadline } from '../http/with-deadline.js';

/** The slice of the AWS SDK's HttpRequest the handler reads. */
interface SdkRequest {
  readonly method: string;
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number | undefined;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[] | null | undefined>> | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** The slice of the AWS SDK's HttpResponse it hands back (the SDK checks the shape, not the class). */
interface SdkResponse {
  readonly statusCode: number;
  readonly reason?: string;
  readonly headers: Record<string, string>;
  readonly body: Readable;
}

/**
 * The AWS SDK clients' transport over Herald's keep-alive undici pools (the SDK's default is node:http with its own
 * agent), with one deadline per request. Pass it as `requestHandler` and set the client's `maxAttempts: 1`: the
 * delivery engine owns retries.
 *
 * @example
 * new SendTextMessageCommand(...); // sent through
 * new PinpointSMSVoiceV2Client({ region, endpoint, credentials, maxAttempts: 1, requestHandler: new UndiciRequestHandler(http, 10_000) });
 */
export class UndiciRequestHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(
    private readonly http: HttpPools,
    private readonly timeoutMs: number,
  ) {}

  async handle(
    request: SdkRequest,
    options: { abortSignal?: unknown } = {},
  ): Promise<{ response: SdkResponse }> {
    const origin = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
    const query = queryString(request.query ?? {});
    const caller = options.abortSignal instanceof AbortSignal ? options.abortSignal : undefined;
    // The deadline covers the request up to its answer's headers; the body, which the SDK reads afterwards, is
    // bounded by undici's bodyTimeout. Its timer goes as soon as the headers come (see withDeadline).
    const response = await withDeadline(this.timeoutMs, (deadline) =>
      this.http.pool(origin).request({
        method: request.method as 'GET' | 'POST' | 'PUT' | 'DELETE',
        path: query ? `${request.path}?${query}` : request.path,
        headers: { ...request.headers },
        ...(request.body === undefined || request.body === null
          ? {}
          : { body: request.body as string | Uint8Array | Readable }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: caller ? AbortSignal.any([deadline, caller]) : deadline,
      }),
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { response: { statusCode: response.statusCode, headers, body: response.body } };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  /** The pools belong to Herald's HttpPools, which close them on shutdown. */
  destroy(): void {}
}

function queryString(query: Readonly<Record<string, string | readonly string[] | null | undefined>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const name = encodeURIComponent(key);
    if (value === null || value === undefined) parts.push(name);
    else if (typeof value === 'string') parts.push(`${name}=${encodeURIComponent(value)}`);
    else for (const item of value) parts.push(`${name}=${encodeURIComponent(item)}`);
  }
  return parts.join('&');
}
