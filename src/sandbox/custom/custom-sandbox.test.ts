import fs from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxServer, startSandboxServer } from '../../../test/helpers/sandbox-server.js';
import { createCustomSandbox } from './custom-sandbox.js';

/** Pinpoint's own example event (aws-samples/amazon-pinpoint-whatsapp-channel), as a receiver gets it. */
const pinpointEvent = JSON.parse(
  fs.readFileSync(
    new URL('../../channels/custom/test-support/custom-channel-event.json', import.meta.url),
    'utf8',
  ),
) as { Endpoints: Record<string, unknown> } & Record<string, unknown>;

let server: SandboxServer;
beforeAll(async () => {
  server = await startSandboxServer({ providers: [createCustomSandbox] });
});
afterAll(() => server.close());

describe('custom-channel receiver sandbox', () => {
  it('answers HEAD with X-Amz-Pinpoint-AccountId and records Pinpoint’s event', async () => {
    const receiver = (
      await server.call('POST', '/custom/_control/receivers', { id: 'fixture', accountId: '111122223333' })
    ).body;
    expect(receiver).toMatchObject({
      id: 'fixture',
      deliveryUri: `${server.url}/custom/receivers/fixture`,
      accountId: '111122223333',
    });
    const head = await request(receiver.deliveryUri, { method: 'HEAD' });
    await head.body.dump();
    expect(head.statusCode).toBe(200);
    expect(head.headers['x-amz-pinpoint-accountid']).toBe('111122223333');

    const posted = await server.call('POST', '/custom/receivers/fixture', pinpointEvent);
    expect(posted.status).toBe(200);
    const batches = (await server.call('GET', '/custom/_control/receivers/fixture/batches')).body.items;
    expect(batches).toEqual([
      expect.objectContaining({
        size: 1,
        endpointIds: ['1dbcd396df28ac6cf8c1c2b7fexample'],
        data: pinpointEvent.Data,
        campaignId: pinpointEvent.CampaignId,
        activityId: pinpointEvent.ActivityId,
        payload: pinpointEvent,
      }),
    ]);
    const counted = server.sandbox.context.counters
      .snapshot()
      .recipients.find((r) => r.account === 'fixture');
    expect(counted).toMatchObject({
      provider: 'custom',
      recipient: '<PHONE_NUMBER>',
      received: 1,
      duplicates: 0,
    });
    // The same activity and endpoint again is a duplicate delivery.
    await server.call('POST', '/custom/receivers/fixture', pinpointEvent);
    expect(server.sandbox.context.counters.totals().duplicates).toBe(1);
  });

  it('refuses what Pinpoint would never send, and unauthorised deliveries', async () => {
    await server.call('POST', '/custom/_control/receivers', { id: 'strict', authorization: 'Bearer s3cret' });
    const auth = { authorization: 'Bearer s3cret' };
    const endpoints = Object.fromEntries(
      Array.from({ length: 51 }, (_, i) => [`e${i}`, { ChannelType: 'CUSTOM', Address: `a${i}` }]),
    );
    const tooMany = await server.call(
      'POST',
      '/custom/receivers/strict',
      { ...pinpointEvent, Endpoints: endpoints },
      auth,
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/1 to 50 endpoints/);
    const broken = await server.call('POST', '/custom/receivers/strict', { Endpoints: {} }, auth);
    expect(broken.status).toBe(400);
    expect(broken.body.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^ActivityId/)]));
    expect((await server.call('POST', '/custom/receivers/strict', pinpointEvent)).status).toBe(401);
    expect(
      (
        await server.call('POST', '/custom/receivers/strict', pinpointEvent, {
          authorization: 'Bearer guess',
        })
      ).status,
    ).toBe(403);
    expect((await server.call('POST', '/custom/receivers/nobody', pinpointEvent)).status).toBe(404);
    expect((await server.call('GET', '/custom/_control/receivers/strict/batches')).body.items).toEqual([]);
  });

  it('refuses a simulated reply: custom channels only deliver', async () => {
    const reply = await server.call('POST', '/_sandbox/phones/reply', {
      provider: 'custom',
      account: 'fixture',
      user: 'x',
      text: 'hi',
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toMatch(/only delivers/);
  });

  it('provisions a demo receiver whose channel passes Pinpoint’s HEAD check', async () => {
    const demo = await server.sandbox
      .provider('custom')
      ?.demoChannel?.({ webhookUrl: (id) => `http://herald/webhooks/app/${id}` });
    expect(demo).toMatchObject({
      channelId: 'custom',
      provider: 'custom',
      options: { deliveryUri: `${server.url}/custom/receivers/demo` },
    });
    const head = await request(String(demo?.options.deliveryUri), { method: 'HEAD' });
    await head.body.dump();
    expect(head.headers['x-amz-pinpoint-accountid']).toMatch(/^\d{12}$/);
  });
});
