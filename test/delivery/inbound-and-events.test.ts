import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { inboxEventKey } from '../../src/storage/inbox-store.js';
import { aWebhookEventFailed, injectInsertFault } from '../helpers/insert-fault.js';
import {
  eventually,
  type LiveHerald,
  liveApp,
  liveLineChannel,
  liveWhatsAppChannel,
  startLiveHerald,
} from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

const USER = '+16505551234';

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  event: { id: string; type: string; data: Record<string, unknown> };
}

describeEachDatabase('inbound processing and events out', (db) => {
  let live: LiveHerald;
  let app: { appId: string; headers: Record<string, string> };
  let wa: Awaited<ReturnType<typeof liveWhatsAppChannel>>;
  let receiver: FastifyInstance;
  let receiverUrl: string;
  let deliveries: Delivery[];
  let failFirst: number;

  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await liveApp(live);
    wa = await liveWhatsAppChannel(live, app);
    deliveries = [];
    failFirst = 0;
    receiver = Fastify();
    receiver.removeAllContentTypeParsers();
    receiver.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    receiver.post('/hook', async (req, reply) => {
      if (failFirst > 0) {
        failFirst -= 1;
        return reply.code(503).send();
      }
      deliveries.push({
        headers: req.headers,
        raw: req.body as string,
        event: JSON.parse(req.body as string),
      });
      return reply.code(204).send();
    });
    receiverUrl = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/hook`;
  });
  afterEach(async () => {
    await live.stop();
    await receiver.close();
  });

  const userWrites = (text: string) =>
    live.call('POST', '/sandbox/whatsapp/_control/inbound', {
      body: { phoneNumberId: wa.phoneNumberId, from: USER, text },
    });
  const subscribe = async (events: string[]) => {
    const created = await live.call('POST', `/v1/apps/${app.appId}/subscriptions`, {
      headers: app.headers,
      body: { url: receiverUrl, events },
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };

  it('delivers signed events at least once, retrying until the receiver answers 2xx', async () => {
    const { secret } = await subscribe(['message.status', 'message.inbound']);
    failFirst = 2;
    const written = await userWrites('hello there');
    // The window opens when the inbound message is processed.
    await eventually(
      async () =>
        (await db().db.selectFrom('inbound_messages').select('id').execute()).length > 0 || undefined,
      'the inbound message',
    );
    const sent = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'Hi, how can we help?' },
    });
    await eventually(
      () =>
        deliveries.find(
          (d) =>
            d.event.type === 'message.status' &&
            d.event.data.status === 'read' &&
            d.event.data.messageId === sent.body.messageId,
        ),
      'the read status event',
      15_000,
    );
    // The first two attempts were refused; the inbound event is delivered on a retry.
    const inbound = await eventually(
      () => deliveries.find((d) => d.event.type === 'message.inbound'),
      'the inbound event',
      15_000,
    );
    expect(inbound?.event.data).toMatchObject({
      from: USER,
      channelId: 'wa',
      content: { kind: 'text', text: 'hello there' },
      // What a reaction or a reply names: the wamid the user's message had.
      providerMessageId: written.body.id,
    });
    const reaction = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: {
        channelType: 'WHATSAPP',
        to: USER,
        reaction: { messageId: inbound?.event.data.providerMessageId, emoji: '👍' },
      },
    });
    expect(reaction.status).toBe(202);
    // Its statuses may come in one inbox batch or overtake each other, so `sent` itself may be skipped.
    await eventually(
      () =>
        deliveries.find(
          (d) =>
            d.event.data.messageId === reaction.body.messageId &&
            ['sent', 'delivered', 'read'].includes(String(d.event.data.status)),
        ),
      'the reaction to be sent',
      15_000,
    );
    for (const d of deliveries) {
      const header = String(d.headers['herald-signature']);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${d.raw}`).digest('hex'));
      expect(d.headers['herald-event-id']).toBe(d.event.id);
      expect(d.headers['herald-event-type']).toBe(d.event.type);
    }
    await eventually(
      () => {
        const statuses = deliveries
          .filter((d) => d.event.data.messageId === sent.body.messageId)
          .map((d) => d.event.data.status);
        // Webhooks may overtake each other, so `sent` or `delivered` can be skipped; `read` always comes.
        return statuses.includes('read') || undefined;
      },
      'every status event',
      15_000,
    );
    const ids = deliveries.map((d) => d.event.id);
    expect(new Set(ids).size).toBe(ids.length);

    const list = await live.call('GET', `/v1/apps/${app.appId}/subscriptions`, { headers: app.headers });
    expect(list.body.items).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    // Paged like every list (a client's ?limit was refused).
    const paged = await live.call('GET', `/v1/apps/${app.appId}/subscriptions?limit=1`, {
      headers: app.headers,
    });
    expect(paged.status).toBe(200);
    expect(paged.body).toMatchObject({ items: [{ id: list.body.items[0].id }], nextCursor: null });
    const bad = await live.call('POST', `/v1/apps/${app.appId}/subscriptions`, {
      headers: app.headers,
      body: { url: 'ftp://x', events: ['message.status'] },
    });
    expect(bad.status).toBe(400);
    const unknownEvent = await live.call('POST', `/v1/apps/${app.appId}/subscriptions`, {
      headers: app.headers,
      body: { url: receiverUrl, events: ['message.exploded'] },
    });
    expect(unknownEvent.status).toBe(400);
    const removed = await live.call(
      'DELETE',
      `/v1/apps/${app.appId}/subscriptions/${list.body.items[0].id}`,
      { headers: app.headers },
    );
    expect(removed.status).toBe(204);
  });

  it('loses no event when processing stops after the inbound message is stored', async () => {
    await subscribe(['message.inbound']);
    const fault = await injectInsertFault(db(), 'conversations');
    await userWrites('hello after a crash');
    // The first attempt stores the message, then fails to open the window; the event is retried in 2 s.
    await eventually(
      async () =>
        (await db().db.selectFrom('inbound_messages').select('id').execute()).length > 0 || undefined,
      'the inbound message',
    );
    await eventually(() => aWebhookEventFailed(db()), 'a failed attempt');
    await fault.heal();
    await eventually(
      async () =>
        (await db().db.selectFrom('inbox').select('id').where('processed_at', 'is', null).execute())
          .length === 0 || undefined,
      'the retried attempt',
      15_000,
    );
    const inbound = await eventually(
      () => deliveries.find((d) => d.event.type === 'message.inbound'),
      'the inbound event',
      15_000,
    );
    expect(inbound?.event.data).toMatchObject({ content: { kind: 'text', text: 'hello after a crash' } });
    expect(deliveries.filter((d) => d.event.type === 'message.inbound')).toHaveLength(1);
  });

  it('streams events as server-sent events', async () => {
    const stream = await request(`${live.url}/v1/apps/${app.appId}/events/stream`, { headers: app.headers });
    expect(stream.headers['content-type']).toContain('text/event-stream');
    let text = '';
    stream.body.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    await userWrites('streamed');
    await eventually(
      () => (text.includes('event: message.inbound') ? true : undefined),
      'the inbound event on the stream',
    );
    expect(text).toMatch(/id: \S+\nevent: message.inbound\ndata: \{/);
    stream.body.destroy();
  });

  it('ends a stream whose key is revoked', async () => {
    const key = await live.call('POST', `/v1/apps/${app.appId}/keys`, {
      headers: app.headers,
      body: { name: 'console' },
    });
    expect(key.status).toBe(201);
    const stream = await request(`${live.url}/v1/apps/${app.appId}/events/stream`, {
      headers: { authorization: `Bearer ${key.body.key}` },
    });
    let text = '';
    let ended = false;
    stream.body.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    stream.body.on('end', () => {
      ended = true;
    });
    const revoked = await live.call('DELETE', `/v1/apps/${app.appId}/keys/${key.body.id}`, {
      headers: app.headers,
    });
    expect(revoked.status).toBe(204);
    // Checked again every 5 s: within that, the stream says why and ends, and hears nothing more.
    await eventually(() => (ended ? true : undefined), 'the stream to end', 8_000);
    expect(text).toContain('event: error');
    expect(text).toContain('HERALD_UNAUTHENTICATED');
  });

  it('opts an endpoint out on STOP and back in on START, marks messages read, and ignores a redelivered webhook', async () => {
    await subscribe(['endpoint.optout', 'endpoint.optin']);
    const endpoint = await live.call('PUT', `/v1/apps/${app.appId}/endpoints/customer-1`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', address: USER },
    });
    expect(endpoint.status).toBeLessThan(300);
    const optOut = async () =>
      (await live.call('GET', `/v1/apps/${app.appId}/endpoints/customer-1`, { headers: app.headers })).body
        .optOut;

    await userWrites('stop');
    await eventually(async () => ((await optOut()) === 'ALL' ? true : undefined), 'the endpoint to opt out');
    await eventually(() => deliveries.find((d) => d.event.type === 'endpoint.optout'), 'the optout event');
    expect(deliveries.find((d) => d.event.type === 'endpoint.optout')?.event.data).toMatchObject({
      channelType: 'WHATSAPP',
      channelId: wa.channelId,
      endpointIds: ['customer-1'],
    });
    // A second STOP changes nothing, and says so with no event: the next event is START's.
    await userWrites('STOP');
    const inboundCount = async () =>
      (await db().db.selectFrom('inbound_messages').select('id').execute()).length;
    await eventually(async () => ((await inboundCount()) === 2 ? true : undefined), 'the second STOP');
    await eventually(
      async () =>
        (await db().db.selectFrom('inbox').select('id').where('processed_at', 'is', null).execute())
          .length === 0 || undefined,
      'the second STOP processed',
    );
    await userWrites('START');
    await eventually(
      async () => ((await optOut()) === 'NONE' ? true : undefined),
      'the endpoint to opt back in',
    );
    await eventually(() => deliveries.find((d) => d.event.type === 'endpoint.optin'), 'the optin event');
    expect(deliveries.map((d) => d.event.type)).toEqual(['endpoint.optout', 'endpoint.optin']);

    // WhatsApp marks inbound messages read (the sandbox's phone shows it).
    const { body: phones } = await live.call('GET', '/sandbox/_sandbox/phones');
    await eventually(async () => {
      const { body } = await live.call('GET', '/sandbox/_sandbox/phones');
      const entries = body.phones.flatMap(
        (p: { entries: { direction: string; status?: string }[] }) => p.entries,
      );
      return entries.some(
        (e: { direction: string; status?: string }) => e.direction === 'in' && e.status?.startsWith('read'),
      )
        ? true
        : undefined;
    }, 'an inbound message marked read');
    expect(phones.phones.length).toBeGreaterThan(0);

    // The same signed webhook twice stores one inbound message.
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: wa.phoneNumberId },
                messages: [
                  {
                    from: '16505550177',
                    id: 'wamid.DUPLICATE_1',
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: 'text',
                    text: { body: 'twice' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const signature = `sha256=${createHmac('sha256', wa.appSecret).update(body).digest('hex')}`;
    for (let i = 0; i < 2; i++) {
      const response = await request(`${live.url}${wa.webhookPath}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      });
      expect(response.statusCode).toBe(200);
      await response.body.dump();
    }
    await eventually(async () => {
      const rows = await db()
        .db.selectFrom('inbound_messages')
        .select('id')
        .where('provider_message_id', '=', 'wamid.DUPLICATE_1')
        .execute();
      return rows.length === 1 ? rows : undefined;
    }, 'one stored inbound message');
    const inbox = await db()
      .db.selectFrom('inbox')
      .select('id')
      .where('event_id', '=', inboxEventKey('wamid.DUPLICATE_1'))
      .execute();
    expect(inbox).toHaveLength(1);

    // A text holding U+0000 (PostgreSQL's text cannot) is stored with U+FFFD instead of failing its every retry.
    const nul = body.replace('wamid.DUPLICATE_1', 'wamid.NUL_1').replace('"twice"', '"a\\u0000b"');
    expect(nul).toContain('a\\u0000b');
    const stored = await request(`${live.url}${wa.webhookPath}`, {
      method: 'POST',
      body: nul,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', wa.appSecret).update(nul).digest('hex')}`,
      },
    });
    expect(stored.statusCode).toBe(200);
    await stored.body.dump();
    const content = await eventually(async () => {
      const row = await db()
        .db.selectFrom('inbound_messages')
        .select('content')
        .where('provider_message_id', '=', 'wamid.NUL_1')
        .executeTakeFirst();
      return row?.content ?? undefined;
    }, 'the inbound message with a NUL stored');
    expect(content).toContain('a\uFFFDb');
  });

  it('creates or re-activates the endpoint of a LINE follower, and opts it out on unfollow without deleting it', async () => {
    const line = await liveLineChannel(live, app);
    const { userId } = line;
    await line.act('follow');
    const endpoint = await eventually(async () => {
      const { body } = await live.call('GET', `/v1/apps/${app.appId}/endpoints?channelType=LINE`, {
        headers: app.headers,
      });
      return body.items?.[0];
    }, 'the follower endpoint');
    expect(endpoint).toMatchObject({
      channelType: 'LINE',
      address: userId,
      optOut: 'NONE',
      endpointStatus: 'ACTIVE',
    });
    expect(JSON.stringify(endpoint.user)).toContain('Aiko Tanaka');

    await line.act('unfollow');
    await eventually(async () => {
      const { body } = await live.call('GET', `/v1/apps/${app.appId}/endpoints/${endpoint.id}`, {
        headers: app.headers,
      });
      return body.optOut === 'ALL' ? body : undefined;
    }, 'the endpoint to opt out on unfollow');
  });
});
