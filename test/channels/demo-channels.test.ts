import net from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { eventually } from '../helpers/sandbox-server.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestHerald } from '../helpers/test-herald.js';

/** The demo builds webhook URLs before Herald listens, so it needs the port it will get. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `npm start` (serve --sandbox --demo) gives the demo app a LINE, a Twilio and a custom channel pointed at the
 * mounted sandbox. Users of the first two write in through the sandbox and reach the demo app's inbox.
 */
describeEachDatabase('demo channels for LINE, Twilio and custom', (db) => {
  let herald: Herald;
  let url: string;

  beforeEach(async () => {
    herald = await createTestHerald(db(), {
      sandbox: true,
      demo: true,
      env: { HERALD_PORT: String(await freePort()) },
    });
    url = await herald.listen();
  });
  afterEach(() => herald.stop());

  it('configures the three channels, and inbound LINE and SMS messages reach the demo app', async () => {
    const demo = herald.demo;
    if (!demo) throw new Error('no demo app');
    expect(demo.channels).toEqual(expect.arrayContaining(['line', 'twilio', 'custom']));
    const listed = await request(`${url}/v1/apps/${demo.appId}/channels`, {
      headers: { authorization: `Bearer ${demo.apiKey}` },
    });
    const channels = (
      (await listed.body.json()) as {
        items: { id: string; provider: string; options: Record<string, unknown> }[];
      }
    ).items;
    const byId = Object.fromEntries(channels.map((c) => [c.id, c]));
    // Paged like every list: ?limit and the cursor of the previous page.
    const page = async (query: string) =>
      (await (
        await request(`${url}/v1/apps/${demo.appId}/channels?${query}`, {
          headers: { authorization: `Bearer ${demo.apiKey}` },
        })
      ).body.json()) as { items: { id: string }[]; nextCursor: string | null };
    const first = await page('limit=2');
    expect(first.items.map((c) => c.id)).toEqual(channels.slice(0, 2).map((c) => c.id));
    expect(first.nextCursor).toEqual(expect.any(String));
    const rest = await page(`limit=100&cursor=${encodeURIComponent(first.nextCursor ?? '')}`);
    expect(rest.items.map((c) => c.id)).toEqual(channels.slice(2).map((c) => c.id));
    expect(rest.nextCursor).toBeNull();
    const hook = (channelId: string) => `${url}/webhooks/${demo.appId}/${channelId}`;
    expect(byId.line).toMatchObject({
      provider: 'line',
      options: { baseUrl: `${url}/sandbox/line` },
      webhookUrl: hook('line'),
    });
    expect(byId.twilio).toMatchObject({
      provider: 'twilio',
      options: { baseUrl: `${url}/sandbox/twilio` },
      webhookUrl: hook('twilio'),
    });
    // A custom channel has no webhooks: no address to configure anywhere.
    expect(byId.custom).toMatchObject({
      provider: 'custom',
      options: { deliveryUri: `${url}/sandbox/custom/receivers/demo` },
      webhookUrl: null,
    });

    const phones = herald.sandbox;
    if (!phones) throw new Error('no sandbox');
    const line = phones.provider('line');
    const lineChannel = (await (
      await request(
        `${url}/sandbox/line/_control/channels/${(byId.line as unknown as { sender: { channelId: string } }).sender.channelId}`,
      )
    ).body.json()) as {
      users: { userId: string }[];
    };
    await line?.simulateInbound({
      account: (byId.line as unknown as { sender: { channelId: string } }).sender.channelId,
      user: String(lineChannel.users[0]?.userId),
      text: 'hello LINE',
    });
    await phones
      .provider('twilio')
      ?.simulateInbound({ account: '+15005550006', user: '+14155550123', text: 'hello SMS' });

    const rows = await eventually(async () => {
      const found = await db()
        .db.selectFrom('inbox')
        .select(['channel_id', 'payload'])
        .where('app_id', '=', demo.appId)
        .execute();
      return found.length >= 2 ? found : undefined;
    }, 'the two inbound messages');
    const texts = rows
      .map((r) => [r.channel_id, (JSON.parse(r.payload) as { content?: { text?: string } }).content?.text])
      .sort();
    expect(texts).toEqual([
      ['line', 'hello LINE'],
      ['twilio', 'hello SMS'],
    ]);
  });

  it('reports an SMS final once delivered: SMS reports no reads', async () => {
    const demo = herald.demo;
    if (!demo) throw new Error('no demo app');
    herald.startWorkers();
    const headers = { authorization: `Bearer ${demo.apiKey}`, 'content-type': 'application/json' };
    const send = async (body: object) => {
      const answer = await request(`${url}/v1/apps/${demo.appId}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      expect(answer.statusCode).toBe(202);
      return ((await answer.body.json()) as { messageId: string }).messageId;
    };
    const sms = await send({ channelType: 'SMS', to: '+16505551240', text: 'Your code is 1234' });
    const finalOf = async (id: string) => {
      const answer = await request(`${url}/v1/apps/${demo.appId}/messages/${id}`, { headers });
      const body = (await answer.body.json()) as { status: string; final: boolean };
      return body.final ? body : undefined;
    };
    expect(await eventually(() => finalOf(sms), 'the SMS to be final')).toMatchObject({
      status: 'delivered',
    });
  });
});
