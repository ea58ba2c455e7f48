import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/create-logger.js';
import {
  AdjustableClock,
  eventually,
  type LiveHerald,
  liveApp,
  liveWhatsAppChannel,
  testNumber,
} from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { adminHeaders, createTestHerald } from '../helpers/test-herald.js';

const USER = '+16505551234';

describeEachDatabase('the send API', (db) => {
  let live: LiveHerald;
  let app: { appId: string; headers: Record<string, string> };
  let logLines: string[];
  let apiKey: string;

  beforeEach(async () => {
    logLines = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    const clock = new AdjustableClock();
    const herald = await createTestHerald(db(), {
      sandbox: true,
      clock,
      logger: createLogger({ level: 'trace', destination }),
    });
    const url = await herald.listen();
    herald.startWorkers();
    const { startLiveHeraldFrom } = await import('../helpers/live-herald.js');
    live = startLiveHeraldFrom(herald, url, clock);
    app = await liveApp(live);
    apiKey = app.headers.authorization!.slice('Bearer '.length);
    await liveWhatsAppChannel(live, app);
    // The user wrote first, so free-form messages go straight out.
    const { body } = await live.call('GET', `/v1/apps/${app.appId}/channels/wa`, { headers: app.headers });
    await live.call('POST', '/sandbox/whatsapp/_control/inbound', {
      body: { phoneNumberId: body.sender.phoneNumberId, from: USER, text: 'hi' },
    });
    await eventually(async () => {
      const { body: conversation } = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
        headers: { ...app.headers, 'idempotency-key': 'probe-window' },
        body: { channelType: 'WHATSAPP', to: USER, text: 'probe' },
      });
      return conversation.status === 'queued' ? true : undefined;
    }, 'the inbound message to open the window').catch(() => undefined);
  });
  afterEach(() => live.stop());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    live.call('POST', `/v1/apps/${app.appId}/messages`, { headers: { ...app.headers, ...headers }, body });

  it('returns the first result for a repeated Idempotency-Key and sends once', async () => {
    const body = { channelType: 'WHATSAPP', to: USER, text: 'Exactly once' };
    const first = await post(body, { 'idempotency-key': 'order-42' });
    const second = await post(body, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.messageId).toBe(first.body.messageId);
    const reused = await post({ ...body, text: 'Something else' }, { 'idempotency-key': 'order-42' });
    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatchObject({
      code: 'HERALD_IDEMPOTENCY_KEY_REUSED',
      field: 'Idempotency-Key',
    });
    await eventually(async () => {
      const { body: m } = await live.call('GET', `/v1/apps/${app.appId}/messages/${first.body.messageId}`, {
        headers: app.headers,
      });
      return m.status === 'read' ? m : undefined;
    }, 'the message to be read');
    const counters = (await live.call('GET', '/sandbox/_sandbox/counters')).body;
    const sentToUser = counters.recipients.find(
      (r: { recipient: string }) => r.recipient === USER.slice(1) || r.recipient === USER,
    );
    expect(sentToUser.duplicates).toBe(0);
    const { body: list } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=100`, {
      headers: app.headers,
    });
    expect(list.items.filter((m: { id: string }) => m.id === first.body.messageId)).toHaveLength(1);
  });

  it('replays a key with its first answer even after the channel and the app settings changed', async () => {
    const OTHER = '+16505551260';
    await live.call('PUT', `/v1/apps/${app.appId}/delivery-settings`, {
      headers: app.headers,
      body: {
        consentTemplate: { name: 'consent_request', fallbackLanguage: 'en_US', parameters: ['there'] },
      },
    });
    const body = { channelType: 'WHATSAPP', to: OTHER, text: 'held, then replayed' };
    const first = await post(body, { 'idempotency-key': 'held-1' });
    expect(first.body.status).toBe('awaiting_window');
    // No consent template any more, then no channel at all: a new request would be refused either way.
    await live.call('PUT', `/v1/apps/${app.appId}/delivery-settings`, { headers: app.headers, body: {} });
    expect((await post(body, { 'idempotency-key': 'held-1' })).body).toEqual(first.body);
    await live.call('DELETE', `/v1/apps/${app.appId}/channels/wa`, { headers: app.headers });
    const again = await post(body, { 'idempotency-key': 'held-1' });
    expect(again.status).toBe(202);
    expect(again.body.messageId).toBe(first.body.messageId);
    expect((await post(body, { 'idempotency-key': 'held-2' })).body.error.code).toBe(
      'HERALD_CHANNEL_NOT_CONFIGURED',
    );
    expect((await post({ ...body, text: 'changed' }, { 'idempotency-key': 'held-1' })).body.error.code).toBe(
      'HERALD_IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('answers bad input with a code, a field and a reason', async () => {
    const cases: [unknown, number, string, string?][] = [
      [{ channelType: 'WHATSAPP', to: USER }, 400, 'HERALD_VALIDATION_FAILED'],
      [
        {
          channelType: 'WHATSAPP',
          to: USER,
          text: 'a',
          media: { type: 'image', url: 'https://x.example/a.jpg' },
        },
        400,
        'HERALD_VALIDATION_FAILED',
      ],
      [
        { channelType: 'WHATSAPP', to: USER, text: 'a', colour: 'red' },
        400,
        'HERALD_UNKNOWN_FIELD',
        'colour',
      ],
      [{ channelType: 'WHATSAPP', to: '+1 555', text: 'a' }, 400, 'HERALD_INVALID_ADDRESS', 'to'],
      [{ channelType: 'FAX', to: USER, text: 'a' }, 400, 'HERALD_VALIDATION_FAILED', 'channelType'],
      [{ channelType: 'SMS', to: USER, text: 'a' }, 422, 'HERALD_CHANNEL_NOT_CONFIGURED', 'channelType'],
      [
        { channelType: 'WHATSAPP', to: USER, text: 'a', channelId: 'nope' },
        422,
        'HERALD_CHANNEL_NOT_CONFIGURED',
        'channelId',
      ],
      [
        { channelType: 'WHATSAPP', to: USER, sticker: { packageId: '1', stickerId: '2' } },
        422,
        'HERALD_CHANNEL_UNSUPPORTED_CONTENT',
      ],
      [
        { channelType: 'WHATSAPP', to: USER, template: { name: 'Bad Name', language: 'en_US' } },
        400,
        'HERALD_VALIDATION_FAILED',
        'template.name',
      ],
      [
        { channelType: 'WHATSAPP', to: USER, interactive: { type: 'button', body: 'x', buttons: [] } },
        400,
        'HERALD_VALIDATION_FAILED',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.error.code, JSON.stringify(response.body)).toBe(code);
      if (field) expect(response.body.error.field).toBe(field);
      expect(response.body.error.message).toEqual(expect.any(String));
    }
    const missing = await live.call('GET', `/v1/apps/${app.appId}/messages/01nosuchmessage`, {
      headers: app.headers,
    });
    expect(missing.status).toBe(404);
  });

  it('lists messages newest first, by status, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (
          await post({
            channelType: 'WHATSAPP',
            to: testNumber(i),
            template: { name: 'hello_world', language: 'en_US' },
          })
        ).body.messageId,
      );
    const first = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=2`, { headers: app.headers });
    expect(first.body.items).toHaveLength(2);
    const second = await live.call(
      'GET',
      `/v1/apps/${app.appId}/messages?limit=2&cursor=${first.body.nextCursor}`,
      { headers: app.headers },
    );
    expect(second.body.items.map((m: { id: string }) => m.id)).not.toContain(first.body.items[0].id);
    await eventually(async () => {
      const { body } = await live.call('GET', `/v1/apps/${app.appId}/messages?status=read&limit=100`, {
        headers: app.headers,
      });
      return ids.every((id) => body.items.some((m: { id: string }) => m.id === id)) ? true : undefined;
    }, 'the templates to be read');
    const bad = await live.call('GET', `/v1/apps/${app.appId}/messages?status=lost`, {
      headers: app.headers,
    });
    expect(bad.status).toBe(400);
  });

  it('takes the AWS sample request shapes with x-api-key', async () => {
    const sent = await live.call('POST', '/v1/sendWhatsApp', {
      headers: { 'x-api-key': apiKey },
      body: { destination_number: USER, message_body: 'From the old API' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body.messageId).toEqual(expect.any(String));
    // A repeated Idempotency-Key says it was replayed, as the messages route does.
    const once = (key: string) =>
      live.herald.server.inject({
        method: 'POST',
        url: '/v1/sendWhatsApp',
        headers: { 'x-api-key': apiKey, 'idempotency-key': key, 'content-type': 'application/json' },
        payload: { destination_number: USER, message_body: 'once' },
      });
    expect((await once('aws-1')).headers['idempotent-replayed']).toBeUndefined();
    const replay = await once('aws-1');
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    // Errors name the sample's own fields.
    const invalid = await live.call('POST', '/v1/sendWhatsApp', {
      headers: { 'x-api-key': apiKey },
      body: { destination_number: 'not a number', message_body: 'x' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({ field: 'destination_number' });
    expect(invalid.body.error.message).toMatch(/^destination_number: /);
    const sms = await live.call('POST', '/v1/sendSMS', {
      headers: { 'x-api-key': apiKey },
      body: { destination_number: USER, message_body: 'x' },
    });
    expect(sms.status).toBe(422);
    expect(sms.body.error.code).toBe('HERALD_CHANNEL_NOT_CONFIGURED');
    const admin = await live.call('POST', '/v1/sendWhatsApp', {
      headers: adminHeaders,
      body: { destination_number: USER, message_body: 'x' },
    });
    expect(admin.status).toBe(403);
    const anonymous = await live.call('POST', '/v1/sendWhatsApp', {
      body: { destination_number: USER, message_body: 'x' },
    });
    expect(anonymous.status).toBe(401);
  });

  it('keeps phone numbers, message bodies and tokens out of the ledger and the logs', async () => {
    const secretText = 'Your one-time code is 918273';
    const sent = await post({ channelType: 'WHATSAPP', to: USER, text: secretText });
    await eventually(async () => {
      const { body: m } = await live.call('GET', `/v1/apps/${app.appId}/messages/${sent.body.messageId}`, {
        headers: app.headers,
      });
      return m.status === 'read' ? m : undefined;
    }, 'the message to be read');
    const digits = USER.slice(1);
    const ledger = JSON.stringify([
      await db().db.selectFrom('messages').selectAll().execute(),
      await db().db.selectFrom('message_events').selectAll().execute(),
      await db().db.selectFrom('conversations').selectAll().execute(),
      await db().db.selectFrom('inbound_messages').select(['recipient_hash', 'endpoint_id']).execute(),
    ]);
    expect(holdsNumber(ledger, digits)).toBe(false);
    expect(ledger).not.toContain(secretText);
    // The provider's id is still shown, from its sealed copy: the sandbox's, like Meta's, is base64 around the number.
    const shown = await live.call('GET', `/v1/apps/${app.appId}/messages/${sent.body.messageId}`, {
      headers: app.headers,
    });
    expect(shown.body.providerMessageId).toMatch(/^wamid\./);
    expect(holdsNumber(shown.body.providerMessageId, digits)).toBe(true);
    // The job that carried the address is gone once the send is recorded (the statuses coming back through the
    // sandbox's webhooks can overtake that write).
    await eventually(async () => {
      const jobs = await db()
        .db.selectFrom('jobs')
        .select('payload')
        .where('message_id', '=', sent.body.messageId)
        .execute();
      return jobs.length === 0 ? true : undefined;
    }, 'the job to be deleted');
    // Webhook events keep their raw payload (the provider's recipient and text) only until they are processed.
    await eventually(async () => {
      const pending = await db()
        .db.selectFrom('inbox')
        .select('id')
        .where('processed_at', 'is', null)
        .execute();
      return pending.length === 0 ? true : undefined;
    }, 'the inbox to be processed');
    const processed = await db()
      .db.selectFrom('inbox')
      .selectAll()
      .where('processed_at', 'is not', null)
      .execute();
    expect(processed.length).toBeGreaterThan(0);
    expect(holdsNumber(JSON.stringify(processed), digits)).toBe(false);
    const logs = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    // Request lines name their request once (a repeated key is invalid JSON for some log shippers).
    const requestLines = logLines.filter((l) => l.includes('"reqId"'));
    expect(requestLines.length).toBeGreaterThan(0);
    expect(requestLines.filter((l) => l.split('"reqId"').length > 2)).toEqual([]);
    expect(holdsNumber(logs, digits)).toBe(false);
    expect(logs).not.toContain(secretText);
    expect(logs).not.toContain(apiKey);
  });
});

/** Whether the text holds the digits as they are or inside base64: a WhatsApp message id is base64 around them. */
function holdsNumber(text: string, digits: string): boolean {
  if (text.includes(digits)) return true;
  for (const token of text.match(/[A-Za-z0-9+/_-]{12,}/g) ?? []) {
    for (let shift = 0; shift < 4; shift++) {
      if (Buffer.from(token.slice(shift), 'base64').toString('latin1').includes(digits)) return true;
    }
  }
  return false;
}
