import { createHmac, createSecretKey } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import { metaSignatureMatches, whatsAppWebhook } from './webhook.js';

/** A copy of /work/shared/fixtures/whatsapp/signature-vector.json (whatsapp-api-js tests, MIT). */
const vector = JSON.parse(
  fs.readFileSync(new URL('../meta/test-support/signature-vector.json', import.meta.url), 'utf8'),
) as { appSecret: string; decodedBody: string; escapedBody: string; expectedHeaderValue: string };
const messages = JSON.parse(
  fs.readFileSync(new URL('../meta/test-support/webhook-messages.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

const SETTINGS = {
  appSecret: 'app-secret-123',
  verifyToken: 'verify-token-123',
  phoneNumberId: '1122334455667',
  now: () => 0,
};

function post(body: string, signature?: string, secret = SETTINGS.appSecret): WebhookRequest {
  const header = signature ?? `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return {
    method: 'POST',
    url: 'https://herald.example/webhooks/a/c',
    query: {},
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': header },
    rawBody: Buffer.from(body, 'utf8'),
  };
}

describe('X-Hub-Signature-256', () => {
  it('accepts the fixture vector on the raw (escaped) bytes Meta sends', () => {
    expect(
      metaSignatureMatches(Buffer.from(vector.escapedBody), vector.expectedHeaderValue, vector.appSecret),
    ).toBe(true);
  });

  it('rejects the decoded body, a changed byte, another secret, and malformed headers', () => {
    const raw = Buffer.from(vector.escapedBody);
    expect(
      metaSignatureMatches(Buffer.from(vector.decodedBody), vector.expectedHeaderValue, vector.appSecret),
    ).toBe(false);
    const tampered = Buffer.from(raw);
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    expect(metaSignatureMatches(tampered, vector.expectedHeaderValue, vector.appSecret)).toBe(false);
    expect(metaSignatureMatches(raw, vector.expectedHeaderValue, 'OTHER_SECRET')).toBe(false);
    const hex = vector.expectedHeaderValue.slice('sha256='.length);
    expect(metaSignatureMatches(raw, hex, vector.appSecret)).toBe(false);
    expect(metaSignatureMatches(raw, `sha1=${hex}`, vector.appSecret)).toBe(false);
    expect(metaSignatureMatches(raw, `sha256=${hex.slice(0, -2)}`, vector.appSecret)).toBe(false);
    expect(metaSignatureMatches(raw, `sha256=${'0'.repeat(64)}`, vector.appSecret)).toBe(false);
  });

  it('checks the same with the secret as a key object made once', () => {
    const raw = Buffer.from(vector.escapedBody);
    const key = createSecretKey(Buffer.from(vector.appSecret, 'utf8'));
    expect(metaSignatureMatches(raw, vector.expectedHeaderValue, key)).toBe(true);
    expect(metaSignatureMatches(Buffer.from(vector.decodedBody), vector.expectedHeaderValue, key)).toBe(
      false,
    );
    const other = createSecretKey(Buffer.from('OTHER_SECRET', 'utf8'));
    expect(metaSignatureMatches(raw, vector.expectedHeaderValue, other)).toBe(false);
  });
});

describe('WhatsApp webhook', () => {
  it('parses a correctly signed notification into events', () => {
    const result = whatsAppWebhook(post(JSON.stringify(messages.text)), SETTINGS);
    expect(result).toMatchObject({ accepted: true, events: [{ type: 'message', eventId: 'wamid.xyzxyz' }] });
  });

  it('answers 401 without a signature or with a wrong one', () => {
    const body = JSON.stringify(messages.text);
    const unsigned = post(body);
    expect(
      whatsAppWebhook({ ...unsigned, headers: { 'content-type': 'application/json' } }, SETTINGS),
    ).toMatchObject({ accepted: false, status: 401 });
    expect(whatsAppWebhook(post(body, undefined, 'wrong-secret'), SETTINGS)).toMatchObject({
      accepted: false,
      status: 401,
    });
  });

  it('answers 400 for a signed body that is not JSON or not a WhatsApp notification', () => {
    expect(whatsAppWebhook(post('not json'), SETTINGS)).toMatchObject({ accepted: false, status: 400 });
    expect(whatsAppWebhook(post('{"object":"page","entry":[]}'), SETTINGS)).toMatchObject({
      accepted: false,
      status: 400,
    });
  });

  it('ignores the changes of the WABA’s other numbers', () => {
    const result = whatsAppWebhook(post(JSON.stringify(messages.text)), { ...SETTINGS, phoneNumberId: '42' });
    expect(result).toEqual({ accepted: true, events: [] });
  });

  it('echoes hub.challenge as text/plain when the verify token matches', () => {
    const get = (query: Record<string, string>): WebhookRequest => ({
      method: 'GET',
      url: 'https://herald.example/webhooks/a/c',
      query,
      headers: {},
      rawBody: Buffer.alloc(0),
    });
    expect(
      whatsAppWebhook(
        get({
          'hub.mode': 'subscribe',
          'hub.verify_token': SETTINGS.verifyToken,
          'hub.challenge': '1158201444',
        }),
        SETTINGS,
      ),
    ).toEqual({
      accepted: true,
      events: [],
      response: { status: 200, contentType: 'text/plain', body: '1158201444' },
    });
    expect(
      whatsAppWebhook(
        get({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' }),
        SETTINGS,
      ),
    ).toMatchObject({ accepted: false, status: 403 });
    expect(whatsAppWebhook(get({ 'hub.challenge': '1' }), SETTINGS)).toMatchObject({
      accepted: false,
      status: 400,
    });
  });
});
