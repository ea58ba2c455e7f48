import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { eventually, type LiveHerald, liveApp, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

interface HeraldEventBody {
  type: string;
  data: { channelType?: string; channelId?: string; endpointIds?: string[]; reason?: string };
}

const ANA = '+16505551234';
const BOB = '+16505551235';
const CAL = '+16505551299';

/** The opt-out list API on a Herald with its workers running, so that its events reach a subscription. */
describeEachDatabase(
  'the opt-out list over HTTP',
  (db) => {
    let live: LiveHerald;
    let app: { appId: string; headers: Record<string, string> };
    let receiver: FastifyInstance;
    let events: HeraldEventBody[];
    beforeAll(async () => {
      live = await startLiveHerald(db());
    });
    afterAll(() => live.stop());
    beforeEach(async () => {
      app = await liveApp(live);
      events = [];
      receiver = Fastify();
      receiver.post('/hook', async (req, reply) => {
        events.push(req.body as HeraldEventBody);
        return reply.code(204).send();
      });
      const url = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/hook`;
      const subscribed = await call('POST', '/subscriptions', {
        url,
        events: ['endpoint.optout', 'endpoint.optin'],
      });
      expect(subscribed.status).toBe(201);
    });
    afterEach(() => receiver.close());

    const call = (method: string, path: string, body?: unknown, headers = app.headers) =>
      live.call(method, `/v1/apps/${app.appId}${path}`, { body, headers });
    const put = async (id: string, channelType: string, address: string, extra: object = {}) => {
      const response = await call('PUT', `/endpoints/${id}`, { channelType, address, ...extra });
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
      return response.body as { optOut: string };
    };
    const optOutOf = async (id: string) => (await call('GET', `/endpoints/${id}`)).body.optOut;
    const lookup = async (channelType: string, addresses: string[]) => {
      const response = await call('POST', '/opt-outs/lookup', { channelType, addresses });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body.items as { address: string; optedOut: boolean; optedOutAt?: string }[];
    };

    it('adds addresses like a STOP, looks them up, counts them, and takes them off like a START, with events', async () => {
      await put('ana-wa', 'WHATSAPP', ANA);
      await put('ana-sms', 'SMS', ANA);
      await put('cal-wa', 'WHATSAPP', CAL);

      // Two forms of Ana's number count once; Bob has no endpoint yet.
      const added = await call('POST', '/opt-outs', {
        channelType: 'WHATSAPP',
        addresses: ['+1 650 555 1234', '16505551234', BOB],
      });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
      expect(added.body).toEqual({ added: 2, alreadyListed: 0, endpointsOptedOut: 1 });
      expect(await optOutOf('ana-wa')).toBe('ALL');
      expect(await optOutOf('ana-sms')).toBe('NONE');
      expect(await optOutOf('cal-wa')).toBe('NONE');
      const again = await call('POST', '/opt-outs', { channelType: 'WHATSAPP', addresses: [BOB] });
      expect(again.body).toEqual({ added: 0, alreadyListed: 1, endpointsOptedOut: 0 });
      // An endpoint created later for a listed address starts opted out, whatever the write says.
      expect((await put('bob-wa', 'WHATSAPP', BOB, { optOut: 'NONE' })).optOut).toBe('ALL');

      const optout = await eventually(
        () => events.find((e) => e.type === 'endpoint.optout'),
        'the endpoint.optout event',
      );
      expect(optout.data).toEqual({ channelType: 'WHATSAPP', endpointIds: ['ana-wa'], reason: 'api' });

      const items = await lookup('WHATSAPP', [BOB, '+1 650 555 1299', '16505551234']);
      expect(items).toEqual([
        { address: BOB, optedOut: true, optedOutAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) },
        { address: CAL, optedOut: false },
        { address: ANA, optedOut: true, optedOutAt: expect.any(String) },
      ]);
      expect(await lookup('SMS', [ANA])).toEqual([{ address: ANA, optedOut: false }]);
      const counted = await call('GET', '/opt-outs');
      expect(counted.status).toBe(200);
      expect(counted.body).toEqual({
        items: [{ channelType: 'WHATSAPP', count: 2, lastOptedOutAt: items[0]?.optedOutAt }],
      });

      const removed = await call('POST', '/opt-outs/remove', {
        channelType: 'WHATSAPP',
        addresses: [BOB, ANA, CAL],
      });
      expect(removed.status, JSON.stringify(removed.body)).toBe(200);
      expect(removed.body).toEqual({ removed: 2, notListed: 1, endpointsOptedIn: 2 });
      expect(await optOutOf('ana-wa')).toBe('NONE');
      expect(await optOutOf('bob-wa')).toBe('NONE');
      expect((await put('bob-wa-2', 'WHATSAPP', BOB)).optOut).toBe('NONE');
      expect((await lookup('WHATSAPP', [ANA, BOB])).map((i) => i.optedOut)).toEqual([false, false]);
      expect((await call('GET', '/opt-outs')).body).toEqual({ items: [] });

      const optin = await eventually(
        () => events.find((e) => e.type === 'endpoint.optin'),
        'the endpoint.optin event',
      );
      expect(optin.data).toEqual({
        channelType: 'WHATSAPP',
        endpointIds: ['ana-wa', 'bob-wa'],
        reason: 'api',
      });
      // The second add changed no endpoint and told no one.
      expect(events.filter((e) => e.type === 'endpoint.optout')).toHaveLength(1);
    });

    it('refuses a batch with bad addresses, naming each, and writes nothing', async () => {
      await put('ana-sms', 'SMS', ANA);
      for (const path of ['/opt-outs', '/opt-outs/remove', '/opt-outs/lookup']) {
        const refused = await call('POST', path, {
          channelType: 'SMS',
          addresses: [ANA, 'not a number', '+1650555', BOB],
        });
        expect(refused.status, path).toBe(400);
        expect(refused.body.error).toMatchObject({
          code: 'HERALD_INVALID_ADDRESS',
          field: 'addresses[1]',
          details: [
            { index: 1, field: 'addresses[1]', reason: expect.stringContaining('not a valid phone number') },
            { index: 2, field: 'addresses[2]', reason: expect.stringContaining('not a valid phone number') },
          ],
        });
        // Enough of an address to find it, not enough to call it.
        expect(JSON.stringify(refused.body)).not.toContain('not a number');
      }
      const line = await call('POST', '/opt-outs', { channelType: 'LINE', addresses: ['U123'] });
      expect(line.body.error).toMatchObject({ code: 'HERALD_INVALID_ADDRESS', field: 'addresses[0]' });
      for (const addresses of [[], Array.from({ length: 1001 }, () => ANA)]) {
        const shape = await call('POST', '/opt-outs', { channelType: 'SMS', addresses });
        expect(shape.status).toBe(400);
        expect(shape.body.error).toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'addresses' });
      }
      const unknownType = await call('POST', '/opt-outs', { channelType: 'FAX', addresses: [ANA] });
      expect(unknownType.body.error).toMatchObject({
        code: 'HERALD_VALIDATION_FAILED',
        field: 'channelType',
      });

      expect(await optOutOf('ana-sms')).toBe('NONE');
      expect(await lookup('SMS', [ANA, BOB])).toEqual([
        { address: ANA, optedOut: false },
        { address: BOB, optedOut: false },
      ]);
      expect((await call('GET', '/opt-outs')).body).toEqual({ items: [] });
    });

    it("refuses another app's key and leaves the app's list alone", async () => {
      const other = await liveApp(live, 'other');
      await put('ana-sms', 'SMS', ANA);
      for (const [method, path] of [
        ['POST', '/opt-outs'],
        ['POST', '/opt-outs/remove'],
        ['POST', '/opt-outs/lookup'],
        ['GET', '/opt-outs'],
      ] as const) {
        const refused = await call(
          method,
          path,
          method === 'GET' ? undefined : { channelType: 'SMS', addresses: [ANA] },
          other.headers,
        );
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(refused.body.error.code).toBe('HERALD_FORBIDDEN');
      }
      expect(await optOutOf('ana-sms')).toBe('NONE');
      expect((await call('GET', '/opt-outs')).body).toEqual({ items: [] });
      // The other app's own list is its own.
      const theirs = await live.call('POST', `/v1/apps/${other.appId}/opt-outs`, {
        body: { channelType: 'SMS', addresses: [ANA] },
        headers: other.headers,
      });
      expect(theirs.body).toEqual({ added: 1, alreadyListed: 0, endpointsOptedOut: 0 });
      expect(await optOutOf('ana-sms')).toBe('NONE');
      expect(await lookup('SMS', [ANA])).toEqual([{ address: ANA, optedOut: false }]);
    });
  },
  { scope: 'suite' },
);
