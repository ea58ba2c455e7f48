import type { HttpPools } from '../../ports/http-pools.js';
import { headerValue, providerRequest } from '../http/provider-request.js';

/**
 * Pinpoint's check of a custom channel's receiver before a campaign may use it: `HEAD <DeliveryUri>` must answer
 * 2xx with `X-Amz-Pinpoint-AccountId`. With `expectedAccountId`, the header must also name that account.
 *
 * @example
 * const verdict = await checkDeliveryUri(http, 'https://hooks.example.com/pinpoint', { timeoutMs: 5000 });
 * if (!verdict.ok) throw new Error(verdict.reason);
 */
export async function checkDeliveryUri(
  http: HttpPools,
  deliveryUri: string,
  options: { timeoutMs: number; headers?: Readonly<Record<string, string>>; expectedAccountId?: string },
): Promise<{ ok: true; accountId: string } | { ok: false; reason: string }> {
  const url = new URL(deliveryUri);
  const result = await providerRequest(http, {
    method: 'HEAD',
    baseUrl: url.origin,
    path: `${url.pathname}${url.search}`,
    headers: { ...options.headers },
    timeoutMs: options.timeoutMs,
  });
  if (!result.ok)
    return { ok: false, reason: `HEAD ${url.origin}${url.pathname}: ${result.failure.message}` };
  const { status, headers } = result.response;
  if (status < 200 || status >= 300)
    return { ok: false, reason: `HEAD ${url.origin}${url.pathname} answered ${status}` };
  const accountId = headerValue(headers, 'x-amz-pinpoint-accountid');
  if (!accountId) {
    return { ok: false, reason: 'the receiver did not answer HEAD with an X-Amz-Pinpoint-AccountId header' };
  }
  if (options.expectedAccountId !== undefined && accountId !== options.expectedAccountId) {
    return {
      ok: false,
      reason: `X-Amz-Pinpoint-AccountId is ${accountId}, not ${options.expectedAccountId}`,
    };
  }
  return { ok: true, accountId };
}
