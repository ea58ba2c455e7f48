import { request } from 'undici';

/**
 * One HTTP call with a JSON body and a JSON (or text) answer, for tests that drive a sandbox's control routes or
 * a Herald listening on a real port.
 *
 * @example
 * const { status, json } = await jsonRequest(`${sandboxUrl}/whatsapp/_control/accounts`, { method: 'POST', body: {} });
 */
export async function jsonRequest(
  url: string,
  options: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<{
  status: number;
  text: string;
  json: unknown;
  headers: Record<string, string | string[] | undefined>;
}> {
  const response = await request(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, text, json, headers: response.headers };
}
