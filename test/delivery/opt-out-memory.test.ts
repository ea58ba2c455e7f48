import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  activitiesWhen,
  type CampaignApp,
  campaignApp,
  helloWorldTemplate,
  sandboxMessages,
} from '../campaigns/campaign-harness.js';
import { eventually, type LiveHerald, liveLineChannel, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

const STRANGER = '+16505551234';
const OTHER = '+16505551299';
const OTHER_2 = '+16505551298';

interface HeraldEventBody {
  type: string;
  data: { endpointIds?: string[]; reason?: string };
}

describeEachDatabase('opt-out memory: a STOP from a number the app has no endpoint for', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  let receiver: FastifyInstance;
  let events: HeraldEventBody[];

  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await campaignApp(live);
    events = [];
    receiver = Fastify();
    receiver.post('/hook', async (req, reply) => {
      events.push(req.body as HeraldEventBody);
      return reply.code(204).send();
    });
    const url = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/hook`;
    const subscribed = await app.call('POST', '/subscriptions', {
      url,
      events: ['endpoint.optout', 'endpoint.optin'],
    });
    expect(subscribed.status).toBe(201);
  });
  afterEach(async () => {
    await live.stop();
    await receiver.close();
  });

  const writes = (text: string) =>
    live.call('POST', '/sandbox/whatsapp/_control/inbound', {
      body: { phoneNumberId: app.phoneNumberId, from: STRANGER, text },
    });
  const optOutOf = async (id: string) => (await app.call('GET', `/endpoints/${id}`)).body.optOut;
  const importCsv = async (csv: string) => {
    const response = await request(`${live.url}/v1/apps/${app.appId}/imports`, {
      method: 'POST',
      headers: { ...app.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    const { id } = (await response.body.json()) as { id: string };
    expect(response.statusCode).toBe(202);
    return eventually(async () => {
      const { body } = await app.call('GET', `/imports/${id}`);
      return body.status === 'COMPLETED' || body.status === 'FAILED' ? body : undefined;
    }, 'the import to finish');
  };

  it('creates the endpoints of that number opted out by the API and by an import, a campaign skips them, and START clears it', async () => {
    await writes('STOP');
    const optout = await eventually(
      () => events.find((e) => e.type === 'endpoint.optout'),
      'the endpoint.optout event',
    );
    // No endpoint had the number: the event names none, as before.
    expect(optout.data).toMatchObject({ endpointIds: [], reason: 'keyword STOP' });

    // The app creates endpoints for the number afterwards: one PUT (whose NONE the list overrules), a batch
    // and an import.
    const single = await app.call('PUT', '/endpoints/late-put', {
      channelType: 'WHATSAPP',
      address: '+1 650 555 1234',
      optOut: 'NONE',
    });
    expect(single.status, JSON.stringify(single.body)).toBe(201);
    expect(single.body.optOut).toBe('ALL');
    const batch = await app.call('PUT', '/endpoints', {
      items: [
        { id: 'late-batch', channelType: 'WHATSAPP', address: STRANGER },
        { id: 'other', channelType: 'WHATSAPP', address: OTHER },
      ],
    });
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    expect(batch.body.items.map((e: { id: string; optOut: string }) => [e.id, e.optOut])).toEqual([
      ['late-batch', 'ALL'],
      ['other', 'NONE'],
    ]);
    const imported = await importCsv(
      `Id,ChannelType,Address,OptOut\nlate-import,WHATSAPP,16505551234,NONE\nother-import,WHATSAPP,${OTHER_2},\n`,
    );
    expect(imported).toMatchObject({ status: 'COMPLETED', processed: 2, failed: 0 });
    expect(await optOutOf('late-import')).toBe('ALL');
    expect(await optOutOf('other-import')).toBe('NONE');
    const listed = await app.call('GET', '/endpoints?optOut=ALL');
    expect(listed.body.items.map((e: { id: string }) => e.id)).toEqual([
      'late-batch',
      'late-import',
      'late-put',
    ]);

    // A campaign to every endpoint reaches only the other numbers. (Each endpoint of the number took its
    // address from the one before, which is INACTIVE and out of the campaign: the last, late-import, is skipped.)
    const templateId = await helloWorldTemplate(app);
    const segmentId = (await app.call('POST', '/segments', { name: 'everyone' })).body.id;
    const campaign = await app.call('POST', '/campaigns', {
      name: 'to everyone',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
    });
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
    const [run] = await activitiesWhen(
      app,
      campaign.body.id,
      (items) => items[0]?.state === 'COMPLETED',
      'the campaign run to complete',
    );
    expect(run).toMatchObject({ totalEndpoints: 3, skipped: { opted_out: 1 }, queued: 2 });
    const recipients = (await sandboxMessages(live, app.phoneNumberId)).map(
      (m) => `+${m.to.replace(/^\+/, '')}`,
    );
    expect(recipients.sort()).toEqual([OTHER_2, OTHER]);

    // START opts the number's endpoints back in and forgets it: a new endpoint starts opted in.
    await writes('START');
    const optin = await eventually(
      () => events.find((e) => e.type === 'endpoint.optin'),
      'the endpoint.optin event',
    );
    expect([...(optin.data.endpointIds ?? [])].sort()).toEqual(['late-batch', 'late-import', 'late-put']);
    const after = await app.call('PUT', '/endpoints/after-start', {
      channelType: 'WHATSAPP',
      address: STRANGER,
    });
    expect(after.status).toBe(201);
    expect(after.body.optOut).toBe('NONE');
    const reimported = await importCsv(`Id,ChannelType,Address\nafter-start-import,WHATSAPP,${STRANGER}\n`);
    expect(reimported).toMatchObject({ status: 'COMPLETED', processed: 1 });
    expect(await optOutOf('after-start-import')).toBe('NONE');
  });
});

describeEachDatabase('opt-out memory: a LINE unfollow from a user the app has no endpoint for', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await campaignApp(live);
  });
  afterEach(() => live.stop());

  it('creates the endpoint of that user opted out, until the user follows again', async () => {
    const { userId, act: control } = await liveLineChannel(live, app);

    await control('unfollow');
    await eventually(async () => {
      const rows = await db().db.selectFrom('inbox').select('processed_at').execute();
      return rows.length > 0 && rows.every((r) => r.processed_at !== null) ? rows : undefined;
    }, 'the unfollow to be processed');
    const created = await app.call('PUT', '/endpoints/aiko', { channelType: 'LINE', address: userId });
    expect(created.status).toBe(201);
    expect(created.body.optOut).toBe('ALL');

    // A follow is an explicit opt-in: the endpoint opts in, and a new one for the user would too.
    await control('follow');
    await eventually(async () => {
      const { body } = await app.call('GET', '/endpoints/aiko');
      return body.optOut === 'NONE' ? body : undefined;
    }, 'the endpoint to opt in on follow');
    await app.call('DELETE', '/endpoints/aiko');
    const again = await app.call('PUT', '/endpoints/aiko-2', { channelType: 'LINE', address: userId });
    expect(again.body.optOut).toBe('NONE');
  });
});
