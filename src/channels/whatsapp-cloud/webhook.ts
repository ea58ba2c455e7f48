import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest, WebhookResult } from '../../ports/channel-adapter.js';
import { metaWebhookEvents } from '../meta/meta-webhook-events.js';

export interface WhatsAppWebhookSettings {
  /** A key object made once (`createSecretKey`) spares preparing the key on every request. */
  readonly appSecret: string | KeyObject;
  readonly verifyToken: string;
  /** Meta's phone-number id of the channel: a Meta app's webhook carries every number it serves. */
  readonly phoneNumberId: string;
  readonly now: () => number;
}

/**
 * Meta's two webhook calls: the GET subscription check (echo `hub.challenge` when `hub.verify_token` matches) and
 * the signed POST of events (`X-Hub-Signature-256` over the exact raw bytes, checked in constant time).
 *
 * @example
 * const result = whatsAppWebhook(request, { appSecret, verifyToken, phoneNumberId, now: clock.now });
 */
export function whatsAppWebhook(request: WebhookRequest, settings: WhatsAppWebhookSettings): WebhookResult {
  if (request.method === 'GET') return verification(request, settings);
  if (request.method !== 'POST') return { accepted: false, status: 400, reason: 'only GET and POST' };

  const header = request.headers['x-hub-signature-256'];
  if (!header) return { accepted: false, status: 401, reason: 'X-Hub-Signature-256 is missing' };
  if (!metaSignatureMatches(request.rawBody, header, settings.appSecret))
    return { accepted: false, status: 401, reason: 'X-Hub-Signature-256 does not match the body' };

  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    return { accepted: false, status: 400, reason: 'the body is not JSON' };
  }
  const parsed = metaWebhookEvents(body, {
    phoneNumberId: settings.phoneNumberId,
    receivedAt: settings.now(),
  });
  if (!parsed)
    return { accepted: false, status: 400, reason: 'not a whatsapp_business_account notification' };
  return { accepted: true, events: parsed.events };
}

function verification(request: WebhookRequest, settings: WhatsAppWebhookSettings): WebhookResult {
  const mode = request.query['hub.mode'];
  const token = request.query['hub.verify_token'];
  const challenge = request.query['hub.challenge'];
  if (mode !== 'subscribe' || token === undefined || challenge === undefined)
    return {
      accepted: false,
      status: 400,
      reason: 'expected hub.mode=subscribe, hub.verify_token, hub.challenge',
    };
  if (!sameSecret(token, settings.verifyToken))
    return {
      accepted: false,
      status: 403,
      reason: 'hub.verify_token does not match the channel’s verify token',
    };
  return {
    accepted: true,
    events: [],
    response: { status: 200, contentType: 'text/plain', body: challenge },
  };
}

/**
 * `sha256=<hex HMAC-SHA256(app secret, raw body)>`. Meta signs the bytes it sends (non-ASCII escaped as \uXXXX),
 * so only the raw bytes verify; re-serialised JSON does not.
 */
export function metaSignatureMatches(
  rawBody: Buffer,
  header: string,
  appSecret: string | KeyObject,
): boolean {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHmac('sha256', 'verify-token').update(given).digest();
  const b = createHmac('sha256', 'verify-token').update(expected).digest();
  return timingSafeEqual(a, b);
}
