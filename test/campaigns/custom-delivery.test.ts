import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { type LiveHerald, liveApp, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { activitiesWhen, type CampaignApp } from './campaign-harness.js';

/** Pinpoint's custom-channel event as the AWS sample received it (copied from the shared fixtures). */
const fixture = JSON.parse(
  fs.readFileSync(
    new URL('../../src/channels/custom/test-support/custom-channel-event.json', import.meta.url),
    'utf8',
  ),
) as { Endpoints: Record<string, Record<string, unknown>> } & Record<string, unknown>;

async function appOf(live: LiveHerald): Promise<CampaignApp> {
  const app = await liveApp(live);
  return {
    ...app,
    phoneNumberId: '',
    call: (method, p, body) =>
      live.call(method, `/v1/apps/${app.appId}${p}`, {
        headers: app.headers,
        ...(body === undefined ? {} : { body }),
      }),
  };
}

describeEachDatabase('custom-delivery campaigns: Pinpoint’s payload in batches of 50', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await appOf(live);
  });
  afterEach(() => live.stop());

  it('delivers the endpoints of the chosen types to an HTTP receiver as Pinpoint’s event, 50 at a time', async () => {
    const receiver = (
      await live.call('POST', '/sandbox/custom/_control/receivers', {
        body: { authorization: 'Bearer r3ceiver' },
      })
    ).body as { id: string; deliveryUri: string; accountId: string };
    const items = Array.from({ length: 120 }, (_, i) => ({
      id: `ep-${String(i).padStart(3, '0')}`,
      channelType: i < 60 ? 'SMS' : i < 110 ? 'CUSTOM' : 'WHATSAPP',
      address: i < 60 || i >= 110 ? `+1650555${String(3000 + i)}` : `user-${i}@example.com`,
      location: { city: 'Seattle', country: 'USA' },
      demographic: { make: 'OnePlus', platform: 'android' },
      attributes: { CohortId: ['42'] },
      user: { userId: `u-${i}`, userAttributes: { FirstName: [`Name${i}`] } },
    }));
    for (let i = 0; i < items.length; i += 100)
      expect((await app.call('PUT', '/endpoints', { items: items.slice(i, i + 100) })).status).toBe(200);
    const segmentId = (await app.call('POST', '/segments', { name: 'all' })).body.id;

    const data = '{"template":"spring","lang":"en"}';
    const created = await app.call('POST', '/campaigns', {
      name: 'custom',
      segmentId,
      message: {
        channelType: 'CUSTOM',
        deliveryUri: receiver.deliveryUri,
        headers: { authorization: 'Bearer r3ceiver' },
        endpointTypes: ['SMS', 'CUSTOM'],
        data,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The receiver's secret went into the campaign's sealed channel, not into the campaign.
    expect(JSON.stringify(created.body)).not.toContain('r3ceiver');
    expect(created.body.treatments[0].message).toEqual({
      channelType: 'CUSTOM',
      deliveryUri: receiver.deliveryUri,
      endpointTypes: ['SMS', 'CUSTOM'],
      data,
    });

    const [run] = await activitiesWhen(
      app,
      created.body.id,
      (i) => i[0]?.state === 'COMPLETED',
      'the run to complete',
      20_000,
    );
    expect(run).toMatchObject({ queued: 110, sent: 110, skipped: { other_channel: 10 } });

    const batches = (await live.call('GET', `/sandbox/custom/_control/receivers/${receiver.id}/batches`)).body
      .items as {
      size: number;
      endpointIds: string[];
      payload: Record<string, unknown> & { Endpoints: Record<string, Record<string, unknown>> };
    }[];
    // Whole batches, as Pinpoint calls a custom channel: the sender waits for a batch's tokens (50 a second by
    // default) rather than sending what the tokens at hand allow (70 calls of one to seven before).
    // (Batches of one claim go out side by side, so they may arrive in any order.)
    expect(batches.map((b) => b.size).sort((a, b) => b - a)).toEqual([50, 50, 10]);
    const delivered = batches.flatMap((b) => b.endpointIds);
    expect(delivered).toHaveLength(110);
    expect(new Set(delivered)).toEqual(new Set(items.slice(0, 110).map((e) => e.id)));

    const { payload } = batches[0] as (typeof batches)[number];
    expect(Object.keys(payload).sort()).toEqual(Object.keys(fixture).sort());
    expect(payload).toMatchObject({
      Message: {},
      Data: data,
      ApplicationId: app.appId,
      CampaignId: created.body.id,
      TreatmentId: '0',
      ActivityId: run.id,
      ScheduledTime: run.scheduledStart,
    });
    const [someId, someEndpoint] = Object.entries(payload.Endpoints)[0] as [string, Record<string, unknown>];
    const source = items.find((e) => e.id === someId);
    const fixtureEndpoint = Object.values(fixture.Endpoints)[0] as Record<string, unknown>;
    expect(Object.keys(someEndpoint).sort()).toEqual(
      [...Object.keys(fixtureEndpoint), 'User', 'Metrics'].sort(),
    );
    expect(someEndpoint).toMatchObject({
      ChannelType: source?.channelType,
      Address: source?.address,
      EndpointStatus: 'ACTIVE',
      OptOut: 'NONE',
      Location: { City: 'Seattle', Country: 'USA' },
      Demographic: { Make: 'OnePlus', Platform: 'android' },
      Attributes: { CohortId: ['42'] },
      User: {
        UserId: source?.user.userId,
        UserAttributes: { FirstName: source?.user.userAttributes.FirstName },
      },
    });
  });

  it('sends each endpoint as it is when the message goes out, and not at all once it is deleted', async () => {
    const receiver = (await live.call('POST', '/sandbox/custom/_control/receivers', { body: {} })).body as {
      id: string;
      deliveryUri: string;
    };
    const items = ['ep-0', 'ep-1', 'ep-2'].map((id) => ({
      id,
      channelType: 'CUSTOM',
      address: `${id}@example.com`,
      attributes: { Tier: ['silver'] },
    }));
    expect((await app.call('PUT', '/endpoints', { items })).status).toBe(200);
    const segmentId = (await app.call('POST', '/segments', { name: 'all' })).body.id;
    // One message a second: ep-1 and ep-2 go out one and two seconds after the fan-out queued them.
    const created = await app.call('POST', '/campaigns', {
      name: 'paced',
      segmentId,
      message: {
        channelType: 'CUSTOM',
        deliveryUri: receiver.deliveryUri,
        endpointTypes: ['CUSTOM'],
        data: '{}',
      },
      limits: { messagesPerSecond: 1 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await activitiesWhen(app, created.body.id, (i) => i[0]?.queued === 3, 'the fan-out');
    expect((await app.call('PUT', '/endpoints/ep-1', { attributes: { Tier: ['gold'] } })).status).toBe(200);
    expect((await app.call('DELETE', '/endpoints/ep-2')).status).toBe(204);

    const [run] = await activitiesWhen(app, created.body.id, (i) => i[0]?.state === 'COMPLETED', 'the run');
    expect(run).toMatchObject({ queued: 3, sent: 2, failed: { HERALD_ENDPOINT_DELETED: 1 } });
    const batches = (await live.call('GET', `/sandbox/custom/_control/receivers/${receiver.id}/batches`)).body
      .items as { payload: { Endpoints: Record<string, { Attributes: Record<string, string[]> }> } }[];
    const sent = Object.assign({}, ...batches.map((b) => b.payload.Endpoints));
    expect(Object.keys(sent).sort()).toEqual(['ep-0', 'ep-1']);
    expect(sent['ep-1'].Attributes).toEqual({ Tier: ['gold'] });
  });

  it('refuses a receiver that does not pass Pinpoint’s HEAD check, and a function that is not registered', async () => {
    const segmentId = (await app.call('POST', '/segments', { name: 'all' })).body.id;
    // No receiver answers there: the HEAD check gets a 404.
    const refused = await app.call('POST', '/campaigns', {
      name: 'x',
      segmentId,
      message: {
        channelType: 'CUSTOM',
        deliveryUri: `${live.url}/sandbox/custom/receivers/nobody`,
        endpointTypes: ['CUSTOM'],
        data: '{}',
      },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'HERALD_CHANNEL_CREDENTIALS_REJECTED',
      field: 'message.deliveryUri',
    });
    const unregistered = await app.call('POST', '/campaigns', {
      name: 'x',
      segmentId,
      message: { channelType: 'CUSTOM', functionName: 'nobody', endpointTypes: ['CUSTOM'], data: '{}' },
    });
    expect(unregistered.status).toBe(422);
    expect(unregistered.body.error.field).toBe('message.functionName');
    // Nothing was left behind.
    expect((await app.call('GET', '/channels')).body.items).toEqual([]);
    expect((await app.call('GET', '/campaigns')).body.items).toEqual([]);
  });
});

describeEachDatabase('a Pinpoint custom-channel function registered as a local function', (db) => {
  let dir: string;
  const savedEnv = { ...process.env };
  beforeAll(() => {
    // An administrator's layout: herald.config.json beside the function, as written for Pinpoint (the AWS sample).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-campaign-fn-'));
    fs.cpSync(
      new URL('../../src/channels/custom/test-support/pinpoint-whatsapp-function', import.meta.url),
      path.join(dir, 'functions/whatsapp'),
      { recursive: true },
    );
    fs.writeFileSync(
      path.join(dir, 'herald.config.json'),
      JSON.stringify({ customFunctions: { whatsapp: './functions/whatsapp/index.js' } }),
    );
  });
  afterAll(() => {
    process.env = savedEnv;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let live: LiveHerald;
  beforeEach(async () => {
    live = await startLiveHerald(db(), { HERALD_CONFIG: path.join(dir, 'herald.config.json') });
  });
  afterEach(() => live.stop());

  it('calls handler(event) with Pinpoint’s event per batch; the function sends through the Twilio sandbox', async () => {
    const app = await appOf(live);
    const twilio = (
      await live.call('POST', '/sandbox/twilio/_control/accounts', {
        body: { numbers: [{ phoneNumber: 'whatsapp:+14155238886' }] },
      })
    ).body as { accountSid: string; authToken: string };
    // The function reads its credentials from its environment, as a Lambda does.
    process.env.ACCOUNT_SID = twilio.accountSid;
    process.env.AUTH_TOKEN = twilio.authToken;
    process.env.TWILIO_API = `${live.url}/sandbox/twilio`;

    const items = Array.from({ length: 60 }, (_, i) => ({
      id: `wa-${String(i).padStart(2, '0')}`,
      channelType: 'CUSTOM',
      address: `+1415555${String(1000 + i)}`,
      user: { userId: `u-${i}`, userAttributes: { FirstName: [`Name${i}`] } },
    }));
    expect((await app.call('PUT', '/endpoints', { items })).status).toBe(200);
    const segmentId = (await app.call('POST', '/segments', { name: 'all' })).body.id;
    const created = await app.call('POST', '/campaigns', {
      name: 'via the function',
      segmentId,
      message: {
        channelType: 'CUSTOM',
        functionName: 'whatsapp',
        endpointTypes: ['CUSTOM'],
        data: '{"text":"Hello {name}"}',
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const [run] = await activitiesWhen(
      app,
      created.body.id,
      (i) => i[0]?.state === 'COMPLETED',
      'the run to complete',
      20_000,
    );
    expect(run).toMatchObject({ queued: 60, sent: 60, failed: {} });
    const sent = (await live.call('GET', `/sandbox/twilio/_control/accounts/${twilio.accountSid}/messages`))
      .body.items as { to: string; from: string; body: string }[];
    expect(sent).toHaveLength(60);
    expect(new Set(sent.map((m) => m.to)).size).toBe(60);
    expect(sent.find((m) => m.to === 'whatsapp:+14155551007')).toMatchObject({
      from: 'whatsapp:+14155238886',
      body: 'Hello Name7',
    });
  });
});
