import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { inboxEventKey } from '../../src/storage/inbox-store.js';
import { eventually } from '../helpers/sandbox-server.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

/**
 * LINE through Herald itself, on a real port: a channel configured over the API against the sandbox Herald
 * mounts, the sandbox's signed webhooks crossing the socket into `/webhooks/{appId}/{channelId}`, and the events
 * landing in the inbox table.
 */
describeEachDatabase('LINE end to end through Herald', (db) => {
  let herald: Herald;
  let url: string;

  beforeEach(async () => {
    herald = await createTestHerald(db(), { sandbox: true });
    url = await herald.listen();
  });
  afterEach(() => herald.stop());

  async function call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await request(`${url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text ? JSON.parse(text) : undefined };
  }

  async function lineChannel() {
    const app = await createTestApp(herald);
    const webhookUrl = `${url}/webhooks/${app.appId}/line`;
    const channel = (await call('POST', '/sandbox/line/_control/channels', { webhookUrl })).body;
    const put = await call(
      'PUT',
      `/v1/apps/${app.appId}/channels/line`,
      {
        provider: 'line',
        sender: { channelId: channel.channelId },
        credentials: { channelAccessToken: channel.channelAccessToken, channelSecret: channel.channelSecret },
        options: { baseUrl: `${url}/sandbox/line` },
      },
      app.headers,
    );
    return { app, channel, put, webhookUrl };
  }

  const inbox = (appId: string) =>
    db()
      .db.selectFrom('inbox')
      .select(['event_type', 'event_id', 'payload'])
      .where('app_id', '=', appId)
      .execute();

  it('configures LINE through the API, and stores a simulated follow and message in the inbox', async () => {
    const { app, channel, put, webhookUrl } = await lineChannel();
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      provider: 'line',
      channelType: 'LINE',
      senderKey: `line:${channel.channelId}`,
      webhookUrl,
    });
    expect(JSON.stringify(put.body)).not.toContain(channel.channelSecret);

    const follow = (
      await call('POST', `/sandbox/line/_control/channels/${channel.channelId}/follow`, {
        displayName: 'Aoi',
      })
    ).body;
    const message = (
      await call('POST', `/sandbox/line/_control/channels/${channel.channelId}/message`, {
        userId: follow.userId,
        text: 'Is my order shipped?',
      })
    ).body;

    const rows = await eventually(async () => {
      const found = await inbox(app.appId);
      return found.length >= 2 ? found : undefined;
    }, 'two inbox rows');
    const events = rows.map((r) => JSON.parse(r.payload)).sort((a, b) => a.type.localeCompare(b.type));
    expect(events).toEqual([
      {
        type: 'follow',
        eventId: follow.webhookEventId,
        occurredAt: expect.any(Number),
        from: follow.userId,
        replyToken: follow.replyToken,
      },
      {
        type: 'message',
        eventId: message.webhookEventId,
        occurredAt: expect.any(Number),
        from: follow.userId,
        providerMessageId: message.messageId,
        content: { kind: 'text', text: 'Is my order shipped?' },
        replyToken: message.replyToken,
      },
    ]);
    expect(rows.map((r) => r.event_id).sort()).toEqual(
      [follow.webhookEventId, message.webhookEventId].map(inboxEventKey).sort(),
    );
  });

  it('answers 401 to a webhook with a bad signature and stores nothing', async () => {
    const { app, channel } = await lineChannel();
    const body = JSON.stringify({
      destination: 'U0',
      events: [
        {
          type: 'follow',
          mode: 'active',
          timestamp: 1,
          source: { type: 'user', userId: `U${'a'.repeat(32)}` },
          webhookEventId: '01JDFORGEDFORGEDFORGEDFORG',
          deliveryContext: { isRedelivery: false },
        },
      ],
    });
    const forged = createHmac('sha256', 'not-the-channel-secret').update(body).digest('base64');
    const answer = await call('POST', `/webhooks/${app.appId}/line`, body, { 'x-line-signature': forged });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('HERALD_WEBHOOK_SIGNATURE_INVALID');
    const unsigned = await call('POST', `/webhooks/${app.appId}/line`, body);
    expect(unsigned.status).toBe(401);

    const genuine = createHmac('sha256', channel.channelSecret).update(body).digest('base64');
    expect(
      (await call('POST', `/webhooks/${app.appId}/line`, body, { 'x-line-signature': genuine })).status,
    ).toBe(200);
    const rows = await inbox(app.appId);
    expect(rows.map((r) => r.event_id)).toEqual([inboxEventKey('01JDFORGEDFORGEDFORGEDFORG')]);
  });

  it('refuses bad LINE channel input with a code, a field and a reason', async () => {
    const app = await createTestApp(herald);
    const put = (body: unknown) => call('PUT', `/v1/apps/${app.appId}/channels/line`, body, app.headers);
    const good = {
      provider: 'line',
      sender: { channelId: '1657000001' },
      credentials: { channelAccessToken: 'x'.repeat(20), channelSecret: 'y'.repeat(32) },
    };

    const badSender = await put({ ...good, sender: { channelId: 'abc' } });
    expect(badSender.status).toBe(400);
    expect(badSender.body.error).toMatchObject({
      code: 'HERALD_VALIDATION_FAILED',
      field: expect.stringContaining('channelId'),
    });
    const unknown = await put({ ...good, options: { baseUrl: 'https://api.line.me', colour: 'green' } });
    expect(unknown.status).toBe(400);
    const badUrl = await put({ ...good, options: { baseUrl: 'ftp://api.line.me' } });
    expect(badUrl.status).toBe(400);
    // Well-formed, but the sandbox knows no such token: LINE's answer is passed on as 422.
    const rejected = await put({ ...good, options: { baseUrl: `${url}/sandbox/line` } });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error).toMatchObject({
      code: 'HERALD_CHANNEL_CREDENTIALS_REJECTED',
      field: 'credentials',
    });
    expect(rejected.body.error.message).toMatch(/LINE answered 401/);
  });
});
