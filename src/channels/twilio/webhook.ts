import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelEvent, DeliveryStatus, InboundContent } from '../../domain/channel-event.js';
import type { WebhookRequest, WebhookResult } from '../../ports/channel-adapter.js';

/** The query parameter of `StatusCallback` that carries Herald's message id back. */
export const MESSAGE_ID_PARAM = 'heraldMessageId';

/** Form parameters as Twilio posts them: a name may repeat (`MediaUrl`), so each maps to its values. */
export type TwilioParams = ReadonlyMap<string, readonly string[]>;

export function parseTwilioForm(body: string): TwilioParams {
  const params = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(body)) {
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

/**
 * Twilio's request signature: base64(HMAC-SHA1(auth token, URL + each parameter name and value, names sorted;
 * a repeated name's values de-duplicated and sorted)).
 */
export function twilioSignature(authToken: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const name of [...params.keys()].sort()) {
    for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** `https://host/path` with and without the scheme's standard port, since Twilio signs either form. */
function urlVariants(url: string): string[] {
  const match = /^(https?:\/\/)([^/?#@]*@)?([^/?#:]+|\[[^\]]+\])(:\d+)?(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme = '', user = '', host = '', port, rest = ''] = match;
  const standard = scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  const variants = new Set([url, `${scheme}${user}${host}${rest}`]);
  if (port === undefined) variants.add(`${scheme}${user}${host}${standard}${rest}`);
  return [...variants];
}

/**
 * Checks `X-Twilio-Signature` for the URL Twilio called (as configured there, query included) and its form
 * parameters, in constant time, with and without the standard port (twilio-node's `validateRequest` does the same:
 * Twilio is not consistent about the port).
 *
 * @example
 * verifyTwilioSignature(authToken, 'https://herald.example/webhooks/a/sms?heraldMessageId=01jd', params, header)
 */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: TwilioParams,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature);
  return urlVariants(url).some((candidate) => {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

// `accepted`, `scheduled` and `queued` are Twilio holding the message, which Herald's `sent_for_delivery` already
// says; only `sending` and later mean it left for the carrier (a scheduled message read `sent` until it went).
const STATUS: Readonly<Record<string, DeliveryStatus>> = {
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  partially_delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
};

/** What the common delivery error codes mean (status callbacks carry only the number). */
const ERROR_TEXT: Readonly<Record<string, string>> = {
  '21610': 'the recipient has replied STOP',
  '21614': 'not a mobile number',
  '30001': 'queue overflow',
  '30002': 'account suspended',
  '30003': 'unreachable destination handset',
  '30004': 'message blocked',
  '30005': 'unknown destination handset',
  '30006': 'landline or unreachable carrier',
  '30007': 'message filtered by the carrier',
  '30008': 'unknown error',
};

const STOP = 'STOP';
const START = 'START';
/** An empty TwiML document: Twilio sends no reply. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * A Twilio webhook, end to end: the signature (form posts, and JSON posts signed through `bodySHA256`), then
 * either a status callback (one status event, its id `MessageSid:MessageStatus`, Herald's message id from the
 * callback URL) or an incoming message (a message event, plus an opt-out or opt-in event when Twilio's
 * Advanced Opt-Out reports `OptOutType`), answered with empty TwiML. Never throws.
 */
export function handleTwilioWebhook(
  request: WebhookRequest,
  authToken: string,
  receivedAt: number,
): WebhookResult {
  if (request.method !== 'POST') {
    return { accepted: false, status: 400, reason: 'Twilio webhooks are POST requests' };
  }
  const signature = request.headers['x-twilio-signature'];
  const bodySha256 = request.query.bodySHA256;
  if (bodySha256 !== undefined) {
    // JSON webhooks: the signature covers the URL only, and the URL carries the body's hash.
    const hash = createHash('sha256').update(request.rawBody).digest('hex');
    if (!verifyTwilioSignature(authToken, request.url, new Map(), signature) || hash !== bodySha256) {
      return { accepted: false, status: 401, reason: 'X-Twilio-Signature or bodySHA256 does not match' };
    }
    return { accepted: true, events: [] };
  }
  const params = parseTwilioForm(request.rawBody.toString('utf8'));
  if (!verifyTwilioSignature(authToken, request.url, params, signature)) {
    return { accepted: false, status: 401, reason: 'X-Twilio-Signature is missing or does not match' };
  }
  const get = (name: string): string | undefined => params.get(name)?.[0];
  const sid = get('MessageSid') ?? get('SmsSid');
  if (sid === undefined)
    return { accepted: false, status: 400, reason: 'not a Twilio message webhook (no MessageSid)' };
  const status = get('MessageStatus') ?? get('SmsStatus');

  if (
    status === 'received' ||
    status === 'receiving' ||
    (get('MessageStatus') === undefined && get('Body') !== undefined)
  ) {
    const from = get('From');
    if (from === undefined) return { accepted: false, status: 400, reason: 'an incoming message needs From' };
    const profileName = get('ProfileName');
    const events: ChannelEvent[] = [
      {
        type: 'message',
        eventId: sid,
        occurredAt: receivedAt,
        from,
        providerMessageId: sid,
        content: inboundContent(get),
        ...(profileName ? { profileName } : {}),
      },
    ];
    const optOut = get('OptOutType')?.toUpperCase();
    if (optOut === STOP || optOut === START) {
      const keyword = get('Body')?.trim();
      events.push({
        type: optOut === STOP ? 'optout' : 'optin',
        eventId: `${sid}:${optOut.toLowerCase()}`,
        occurredAt: receivedAt,
        from,
        ...(keyword ? { keyword } : {}),
      });
    }
    return { accepted: true, events, response: { status: 200, contentType: 'text/xml', body: EMPTY_TWIML } };
  }

  const mapped = status === undefined ? undefined : STATUS[status];
  // A status Herald has no use for (a future one) is acknowledged, not refused: Twilio does not retry callbacks.
  if (status === undefined || mapped === undefined) return { accepted: true, events: [] };
  const errorCode = get('ErrorCode');
  const messageId = request.query[MESSAGE_ID_PARAM];
  return {
    accepted: true,
    events: [
      {
        type: 'status',
        eventId: `${sid}:${status}`,
        occurredAt: receivedAt,
        providerMessageId: sid,
        status: mapped,
        ...(errorCode && mapped === 'failed'
          ? { error: { code: errorCode, message: `Twilio ${errorCode}: ${ERROR_TEXT[errorCode] ?? status}` } }
          : {}),
        ...(messageId ? { callbackData: messageId } : {}),
      },
    ],
  };
}

function inboundContent(get: (name: string) => string | undefined): InboundContent {
  const body = get('Body') ?? '';
  const media = Number(get('NumMedia') ?? '0');
  const url = get('MediaUrl0');
  if (media > 0 && url !== undefined) {
    const mimeType = get('MediaContentType0');
    const family = mimeType?.split('/')[0];
    const mediaType = family === 'image' || family === 'video' || family === 'audio' ? family : 'document';
    return {
      kind: 'media',
      mediaType,
      // Twilio keeps the media at this URL (fetched with the account's credentials); only the first is kept.
      mediaId: url,
      ...(mimeType ? { mimeType } : {}),
      ...(body ? { caption: body } : {}),
    };
  }
  return { kind: 'text', text: body };
}
