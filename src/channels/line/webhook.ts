import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelEvent, InboundContent } from '../../domain/channel-event.js';
import type { WebhookRequest, WebhookResult } from '../../ports/channel-adapter.js';

/**
 * Checks `x-line-signature`: base64(HMAC-SHA256(channel secret, raw body)), compared in constant time on the
 * exact bytes received (re-serialising the parsed JSON can change them).
 *
 * @example
 * verifyLineSignature(request.rawBody, credentials.channelSecret, request.headers['x-line-signature'])
 */
export function verifyLineSignature(
  rawBody: Buffer,
  channelSecret: string,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', channelSecret).update(rawBody).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * What a LINE webhook body holds for Herald: its events, and the types it left out (for a debug log).
 *
 * @example
 * const parsed: ParsedLineWebhook = { events: [{ type: 'unfollow', eventId: '01H8...', occurredAt: 1692251666728, from: 'U4af...' }], ignored: ['join'] };
 */
export interface ParsedLineWebhook {
  readonly events: ChannelEvent[];
  /** Event types Herald does not act on (join, leave, unsend, beacon, ...), one entry per event. */
  readonly ignored: string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/**
 * Parses a verified LINE webhook body into Herald's events. `events: []` is LINE's verification ping and yields
 * nothing. Each event's `eventId` is its `webhookEventId`, which a redelivery repeats, so a redelivered event is
 * stored once. Event types Herald does not act on are listed in `ignored`, never an error: LINE adds types over
 * time and a 4xx would only make it redeliver.
 *
 * Group and room events are addressed to the group or room (where a reply goes), not to the member who wrote.
 *
 * @example
 * parseLineWebhook(JSON.parse(body), Date.now()) // { events: [{ type: 'follow', from: 'U4af...', ... }], ignored: [] }
 */
export function parseLineWebhook(
  body: unknown,
  receivedAt: number,
): { ok: true; webhook: ParsedLineWebhook } | { ok: false; reason: string } {
  if (!isObject(body) || !Array.isArray(body.events)) {
    return { ok: false, reason: 'a LINE webhook body is an object with an events array' };
  }
  const events: ChannelEvent[] = [];
  const ignored: string[] = [];
  for (const raw of body.events) {
    const event = isObject(raw) ? parseEvent(raw, receivedAt) : undefined;
    if (event) events.push(event);
    else ignored.push(isObject(raw) ? (str(raw.type) ?? 'unknown') : 'malformed');
  }
  return { ok: true, webhook: { events, ignored } };
}

function parseEvent(event: Json, receivedAt: number): ChannelEvent | undefined {
  const from = address(event.source);
  if (from === undefined) return undefined;
  const base = {
    eventId: str(event.webhookEventId) ?? fallbackEventId(event),
    occurredAt: num(event.timestamp) ?? receivedAt,
  };
  const replyToken = str(event.replyToken);
  const withReply = replyToken === undefined ? {} : { replyToken };

  switch (event.type) {
    case 'message': {
      const message = event.message;
      if (!isObject(message)) return undefined;
      const id = str(message.id);
      if (id === undefined) return undefined;
      const quoted = str(message.quotedMessageId);
      return {
        ...base,
        type: 'message',
        from,
        providerMessageId: id,
        content: messageContent(message, id),
        ...withReply,
        ...(quoted === undefined ? {} : { contextMessageId: quoted }),
      };
    }
    case 'postback': {
      const postback = event.postback;
      const data = isObject(postback) ? str(postback.data) : undefined;
      if (!isObject(postback) || data === undefined) return undefined;
      const params = isObject(postback.params)
        ? Object.fromEntries(
            Object.entries(postback.params).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
          )
        : undefined;
      return {
        ...base,
        type: 'message',
        from,
        // A postback is not a message and has no message id; its event id is unique and stable.
        providerMessageId: base.eventId,
        content: { kind: 'postback', data, ...(params ? { params } : {}) },
        ...withReply,
      };
    }
    case 'follow':
      return { ...base, type: 'follow', from, ...withReply };
    case 'unfollow':
      return { ...base, type: 'unfollow', from };
    default:
      return undefined;
  }
}

function messageContent(message: Json, id: string): InboundContent {
  const type = str(message.type) ?? 'unknown';
  switch (type) {
    case 'text':
      return { kind: 'text', text: str(message.text) ?? '' };
    case 'image':
    case 'video':
    case 'audio':
    case 'file':
      // The content is fetched later from api-data.line.me/v2/bot/message/{id}/content.
      return { kind: 'media', mediaType: type, mediaId: id };
    case 'sticker': {
      const packageId = str(message.packageId);
      const stickerId = str(message.stickerId);
      if (packageId === undefined || stickerId === undefined)
        return { kind: 'unsupported', providerType: type };
      const text = str(message.text);
      return {
        kind: 'media',
        mediaType: 'sticker',
        mediaId: `${packageId}/${stickerId}`,
        ...(text === undefined ? {} : { caption: text }),
      };
    }
    case 'location': {
      const latitude = num(message.latitude);
      const longitude = num(message.longitude);
      if (latitude === undefined || longitude === undefined)
        return { kind: 'unsupported', providerType: type };
      const name = str(message.title);
      const addressText = str(message.address);
      return {
        kind: 'location',
        latitude,
        longitude,
        ...(name === undefined ? {} : { name }),
        ...(addressText === undefined ? {} : { address: addressText }),
      };
    }
    default:
      return { kind: 'unsupported', providerType: type };
  }
}

function address(source: unknown): string | undefined {
  if (!isObject(source)) return undefined;
  if (source.type === 'group') return str(source.groupId);
  if (source.type === 'room') return str(source.roomId);
  return str(source.userId);
}

/** Events from before webhookEventId existed: a hash of the event is as stable across redeliveries. */
function fallbackEventId(event: Json): string {
  return `line-${createHash('sha256').update(JSON.stringify(event)).digest('hex').slice(0, 32)}`;
}

/**
 * A LINE webhook request, end to end: method, signature, JSON, events. Never throws: a bad signature is 401, a
 * body that is not LINE's is 400.
 */
export function handleLineWebhook(
  request: WebhookRequest,
  channelSecret: string,
  receivedAt: number,
): { result: WebhookResult; ignored: readonly string[] } {
  if (request.method !== 'POST') {
    return {
      result: { accepted: false, status: 400, reason: 'LINE webhooks are POST requests' },
      ignored: [],
    };
  }
  if (!verifyLineSignature(request.rawBody, channelSecret, request.headers['x-line-signature'])) {
    return {
      result: {
        accepted: false,
        status: 401,
        reason: 'x-line-signature is missing or does not match the body',
      },
      ignored: [],
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    return { result: { accepted: false, status: 400, reason: 'the body is not JSON' }, ignored: [] };
  }
  const parsed = parseLineWebhook(body, receivedAt);
  if (!parsed.ok) return { result: { accepted: false, status: 400, reason: parsed.reason }, ignored: [] };
  return { result: { accepted: true, events: parsed.webhook.events }, ignored: parsed.webhook.ignored };
}
