import { expect, it, vi } from 'vitest';
import { describeEachDatabase, type TestDatabase } from '../../test/helpers/test-database.js';
import { createRecipientHasher } from '../app/delivery/recipient-hasher.js';
import { EndpointBatchBuilder } from '../app/imports/endpoint-batch-builder.js';
import { cohortIdOf } from '../domain/cohort-id.js';
import type { EndpointPatch } from '../domain/endpoint-patch.js';
import type { OptOutChange } from '../ports/endpoint-store.js';
import { KyselyAppStore } from './app-store.js';
import { audienceSqlFor } from './audience-sql-for.js';
import { KyselyEndpointStore } from './endpoint-store.js';

const T0 = Date.parse('2026-11-21T10:00:00Z');
const hasher = createRecipientHasher('endpoint-store-test-secret');

async function setUp(db: TestDatabase) {
  const apps = new KyselyAppStore(db.db);
  for (const id of ['a1', 'a2']) {
    await apps.createApp(
      { id, name: id, createdAt: T0 },
      { id: `k-${id}`, appId: id, name: 'k', hint: 'hint', createdAt: T0, secretHash: 'x' },
    );
  }
  return new KyselyEndpointStore(db.db, db.dialect, hasher);
}

const whatsapp = (id: string, address: string, extra: Partial<EndpointPatch> = {}): EndpointPatch => ({
  id,
  channelType: 'WHATSAPP',
  address,
  ...extra,
});

describeEachDatabase('KyselyEndpointStore', (db) => {
  it('stores a new endpoint with every field and reads it back', async () => {
    const store = await setUp(db());
    const outcome = await store.upsert(
      'a1',
      [
        {
          id: 'e1',
          channelType: 'WHATSAPP',
          address: '+16505551234',
          optOut: 'NONE',
          effectiveDate: '2026-01-01T10:00:00.000Z',
          requestId: 'r-1',
          location: {
            country: 'US',
            city: 'Seattle',
            region: 'WA',
            postalCode: '98121',
            latitude: 47.61,
            longitude: -122.33,
          },
          demographic: {
            locale: 'en_US',
            timezone: 'America/Los_Angeles',
            platform: 'ios',
            make: 'apple',
            model: 'iPhone',
            modelVersion: '15',
            platformVersion: '17',
            appVersion: '1.0',
          },
          attributes: { Interests: ['Music', 'Travel'] },
          metrics: { sessions: 12.5 },
          user: { userId: 'u1', userAttributes: { FirstName: ['Mei'] } },
        },
      ],
      { at: T0 },
    );
    expect(outcome.rejected).toEqual([]);
    const expected = {
      appId: 'a1',
      id: 'e1',
      channelType: 'WHATSAPP',
      address: '+16505551234',
      endpointStatus: 'ACTIVE',
      optOut: 'NONE',
      effectiveDate: '2026-01-01T10:00:00.000Z',
      requestId: 'r-1',
      attributes: { Interests: ['Music', 'Travel'] },
      metrics: { sessions: 12.5 },
      user: { userId: 'u1', userAttributes: { FirstName: ['Mei'] } },
      location: {
        country: 'US',
        city: 'Seattle',
        region: 'WA',
        postalCode: '98121',
        latitude: 47.61,
        longitude: -122.33,
      },
      demographic: {
        locale: 'en_US',
        timezone: 'America/Los_Angeles',
        platform: 'ios',
        make: 'apple',
        model: 'iPhone',
        modelVersion: '15',
        platformVersion: '17',
        appVersion: '1.0',
      },
      cohortId: cohortIdOf('e1'),
      createdAt: T0,
      updatedAt: T0,
    };
    expect(outcome.written).toEqual([expected]);
    expect(await store.get('a1', 'e1')).toEqual(expected);
    expect(await store.get('a2', 'e1')).toBeUndefined();
    expect(await store.getMany('a1', ['e1', 'nope'])).toEqual([expected]);
  });

  it('merges a later write: given fields replace, names merge, empty lists and nulls remove', async () => {
    const store = await setUp(db());
    await store.upsert(
      'a1',
      [
        whatsapp('e1', '+16505551234', {
          location: { country: 'US', city: 'Seattle' },
          attributes: { Interests: ['Music'], Plan: ['gold'] },
          metrics: { sessions: 3, visits: 1 },
          user: { userId: 'u1', userAttributes: { FirstName: ['Mei'], LastName: ['Chen'] } },
        }),
      ],
      { at: T0 },
    );
    await store.upsert(
      'a1',
      [
        {
          id: 'e1',
          optOut: 'ALL',
          location: { city: 'Tacoma', country: null },
          attributes: { Interests: ['Travel', 'Food'], Plan: [] },
          metrics: { visits: null, sessions: 4 },
          user: { userAttributes: { LastName: [] } },
        },
      ],
      { at: T0 + 1000 },
    );
    const merged = await store.get('a1', 'e1');
    expect(merged).toMatchObject({
      channelType: 'WHATSAPP',
      address: '+16505551234',
      optOut: 'ALL',
      location: { city: 'Tacoma' },
      attributes: { Interests: ['Travel', 'Food'] },
      metrics: { sessions: 4 },
      user: { userId: 'u1', userAttributes: { FirstName: ['Mei'] } },
      createdAt: T0,
      updatedAt: T0 + 1000,
    });
    expect(merged?.location).toEqual({ city: 'Tacoma' });
    expect(merged?.attributes).toEqual({ Interests: ['Travel', 'Food'] });

    await store.upsert('a1', [{ id: 'e1', user: { userId: null } }], { at: T0 + 2000 });
    expect((await store.get('a1', 'e1'))?.user).toEqual({ userAttributes: { FirstName: ['Mei'] } });
  });

  it('refuses a new endpoint without channel type or address, and writes nothing of an all-or-nothing call', async () => {
    const store = await setUp(db());
    const outcome = await store.upsert(
      'a1',
      [
        whatsapp('ok', '+16505551234'),
        { id: 'no-channel', address: 'x' },
        { id: 'no-address', channelType: 'SMS' },
      ],
      { at: T0 },
    );
    expect(outcome.written).toEqual([]);
    expect(outcome.rejected).toEqual([
      {
        index: 1,
        field: 'channelType',
        reason: 'required for a new endpoint',
        code: 'HERALD_VALIDATION_FAILED',
      },
      { index: 2, field: 'address', reason: 'required for a new endpoint', code: 'HERALD_VALIDATION_FAILED' },
    ]);
    expect(await store.get('a1', 'ok')).toBeUndefined();

    const skipping = await store.upsert(
      'a1',
      [whatsapp('ok', '+16505551234'), { id: 'no-channel', address: 'x' }],
      {
        at: T0,
        mode: 'skip-rejected',
      },
    );
    expect(skipping.written.map((e) => e.id)).toEqual(['ok']);
    expect(skipping.rejected.map((r) => r.index)).toEqual([1]);
  });

  it('makes the older endpoint of a channel INACTIVE when another takes its address', async () => {
    const store = await setUp(db());
    await store.upsert(
      'a1',
      [whatsapp('old', '+16505551234'), { id: 'sms', channelType: 'SMS', address: '+16505551234' }],
      {
        at: T0,
      },
    );
    const taken = await store.upsert('a1', [whatsapp('new', '+16505551234')], { at: T0 + 1 });
    expect(taken.deactivated).toEqual(['old']);
    expect((await store.get('a1', 'old'))?.endpointStatus).toBe('INACTIVE');
    expect((await store.get('a1', 'old'))?.updatedAt).toBe(T0 + 1);
    expect((await store.get('a1', 'sms'))?.endpointStatus).toBe('ACTIVE');
    expect(
      (await store.findByAddress('a1', 'WHATSAPP', '+16505551234')).map((e) => [e.id, e.endpointStatus]),
    ).toEqual([
      ['new', 'ACTIVE'],
      ['old', 'INACTIVE'],
    ]);

    // Writing the old one again takes the address back, as in Pinpoint.
    const back = await store.upsert('a1', [{ id: 'old', attributes: { x: ['1'] } }], { at: T0 + 2 });
    expect(back.deactivated).toEqual(['new']);

    // Within one call the last write for an address wins.
    const batch = await store.upsert('a1', [whatsapp('b1', '+16505550000'), whatsapp('b2', '+16505550000')], {
      at: T0 + 3,
    });
    expect(batch.written.map((e) => [e.id, e.endpointStatus])).toEqual([
      ['b1', 'INACTIVE'],
      ['b2', 'ACTIVE'],
    ]);
    expect((await store.get('a1', 'b1'))?.endpointStatus).toBe('INACTIVE');
    // An id that comes back later in the call counts from its last patch.
    const repeated = await store.upsert(
      'a1',
      [
        whatsapp('r1', '+16505559000'),
        whatsapp('r2', '+16505559000'),
        { id: 'r1', attributes: { again: ['yes'] } },
      ],
      { at: T0 + 3 },
    );
    expect(repeated.written.map((e) => [e.id, e.endpointStatus])).toEqual([
      ['r2', 'INACTIVE'],
      ['r1', 'ACTIVE'],
    ]);
    // Another app's endpoints are never touched.
    await store.upsert('a2', [whatsapp('other', '+16505550000')], { at: T0 + 4 });
    expect((await store.get('a1', 'b2'))?.endpointStatus).toBe('ACTIVE');
  });

  it('keeps the app within 250 attribute names across attributes, metrics and user attributes', async () => {
    const store = await setUp(db());
    const names = (prefix: string, n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, ['v']]));
    await store.upsert(
      'a1',
      [
        whatsapp('e1', '+16505551234', {
          attributes: names('a', 100),
          user: { userAttributes: names('u', 100) },
        }),
      ],
      { at: T0 },
    );
    await store.upsert(
      'a1',
      [
        whatsapp('e2', '+16505551235', {
          metrics: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`m${i}`, i])),
        }),
      ],
      { at: T0 },
    );
    expect(await store.attributeKeys('a1')).toHaveLength(249);

    const over = await store.upsert(
      'a1',
      [
        whatsapp('e3', '+16505551236', { attributes: { a0: ['reused'], fresh1: ['x'] } }),
        whatsapp('e4', '+16505551237', { attributes: { fresh2: ['x'] } }),
        whatsapp('e5', '+16505551238', { attributes: { a1: ['reused only'] } }),
      ],
      { at: T0, mode: 'skip-rejected' },
    );
    expect(over.written.map((e) => e.id)).toEqual(['e3', 'e5']);
    expect(over.rejected).toEqual([
      expect.objectContaining({ index: 1, field: 'attributes.fresh2', code: 'HERALD_QUOTA_EXCEEDED' }),
    ]);
    expect(await store.attributeKeys('a1')).toHaveLength(250);
    // A user attribute is named by its path in the endpoint, as validation names it.
    const user = await store.upsert(
      'a1',
      [whatsapp('e6', '+16505551239', { user: { userAttributes: { freshU: ['x'] } } })],
      { at: T0, mode: 'skip-rejected' },
    );
    expect(user.rejected).toEqual([
      expect.objectContaining({ field: 'user.userAttributes.freshU', code: 'HERALD_QUOTA_EXCEEDED' }),
    ]);
    // Another app has its own 250.
    await store.upsert('a2', [whatsapp('x', '+16505551234', { attributes: { fresh2: ['x'] } })], { at: T0 });
    expect(await store.attributeKeys('a2')).toEqual([{ kind: 'attributes', name: 'fresh2' }]);
  });

  it('does not count an attribute name whose only endpoint the user quota refused', async () => {
    const store = await setUp(db());
    const names = Object.fromEntries(Array.from({ length: 249 }, (_, i) => [`a${i}`, ['v']]));
    await store.upsert('a1', [whatsapp('e0', '+16505551000', { attributes: names })], { at: T0 });
    const full = Array.from({ length: 15 }, (_, i) =>
      whatsapp(`u${i}`, `+1650555${String(2000 + i)}`, { user: { userId: 'full' } }),
    );
    await store.upsert('a1', full, { at: T0 });
    for (const bulk of [false, true]) {
      const refused = await store.upsert(
        'a1',
        [whatsapp('r1', '+16505553000', { user: { userId: 'full' }, attributes: { newname: ['x'] } })],
        { at: T0, mode: 'skip-rejected', bulk },
      );
      expect(refused.rejected).toEqual([expect.objectContaining({ field: 'user.userId' })]);
      expect(await store.attributeKeys('a1')).toHaveLength(249);
    }
    // The 250th name is still free.
    const other = await store.upsert(
      'a1',
      [whatsapp('o1', '+16505553001', { attributes: { other: ['1'] } })],
      {
        at: T0,
      },
    );
    expect(other.rejected).toEqual([]);
    expect(await store.attributeKeys('a1')).toHaveLength(250);
  });

  it('allows at most 15 endpoints per user id', async () => {
    const store = await setUp(db());
    const patches = Array.from({ length: 14 }, (_, i) =>
      whatsapp(`e${i}`, `+1650555${String(1000 + i)}`, { user: { userId: 'u1' } }),
    );
    await store.upsert('a1', patches, { at: T0 });
    const refused = await store.upsert(
      'a1',
      [
        whatsapp('e14', '+16505552014', { user: { userId: 'u1' } }),
        whatsapp('e15', '+16505552015', { user: { userId: 'u1' } }),
        // Rewriting one the user already has does not count twice.
        whatsapp('e0', '+16505551000', { user: { userId: 'u1' } }),
      ],
      { at: T0 },
    );
    expect(refused.written).toEqual([]);
    expect(refused.rejected).toEqual([
      expect.objectContaining({ index: 1, field: 'user.userId', code: 'HERALD_QUOTA_EXCEEDED' }),
    ]);
    const skipping = await store.upsert('a1', [whatsapp('e14', '+16505552014', { user: { userId: 'u1' } })], {
      at: T0,
    });
    expect(skipping.rejected).toEqual([]);
    expect(await store.listByUser('a1', 'u1')).toHaveLength(15);
  });

  it('holds the 15 endpoints per user when writers add endpoints for the same user at the same time', async () => {
    const store = await setUp(db());
    const batch = (from: number) =>
      Array.from({ length: 5 }, (_, i) =>
        whatsapp(`c${from + i}`, `+1650555${String(3000 + from + i)}`, { user: { userId: 'u1' } }),
      );
    const outcomes = await Promise.all(
      [0, 5, 10, 15, 20, 25].map((from) =>
        store.upsert('a1', batch(from), { at: T0, mode: 'skip-rejected' }),
      ),
    );
    const written = outcomes.reduce((n, o) => n + o.written.length, 0);
    const rejected = outcomes.reduce((n, o) => n + o.rejected.length, 0);
    expect(await store.listByUser('a1', 'u1')).toHaveLength(15);
    expect([written, rejected]).toEqual([15, 15]);
  });

  it('refuses an endpoint larger than 15 KB', async () => {
    const store = await setUp(db());
    const big = Object.fromEntries(
      Array.from({ length: 4 }, (_, i) => [`n${i}`, Array.from({ length: 50 }, () => 'x'.repeat(100))]),
    );
    const outcome = await store.upsert('a1', [whatsapp('e1', '+16505551234', { attributes: big })], {
      at: T0,
    });
    expect(outcome.rejected).toEqual([
      expect.objectContaining({ field: 'endpoint', code: 'HERALD_QUOTA_EXCEEDED' }),
    ]);
  });

  it('opts out and back in by address, reporting only the endpoints that changed', async () => {
    const store = await setUp(db());
    await store.upsert(
      'a1',
      [whatsapp('e1', '+16505551234'), whatsapp('e2', '+16505551234'), whatsapp('e3', '+16505559999')],
      {
        at: T0,
      },
    );
    expect(await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0 + 1)).toEqual(['e1', 'e2']);
    expect(await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0 + 2)).toEqual([]);
    expect(await store.setOptOut('a1', 'SMS', '+16505551234', 'ALL', T0 + 2)).toEqual([]);
    expect((await store.get('a1', 'e1'))?.optOut).toBe('ALL');
    expect((await store.get('a1', 'e3'))?.optOut).toBe('NONE');
    expect(await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'NONE', T0 + 3)).toEqual(['e1', 'e2']);
  });

  it('stores the events of an opt-out in its transaction: both or neither', async () => {
    const store = await setUp(db());
    await store.upsert('a1', [whatsapp('e1', '+16505551234')], { at: T0 });
    const event = (change: OptOutChange) => ({
      id: `d-${change.endpointIds.join(',')}`,
      subscriptionId: 's1',
      event: {
        id: 'ev1',
        type: 'endpoint.optout' as const,
        appId: 'a1',
        occurredAt: T0 + 1,
        data: { channelType: 'WHATSAPP' as const, endpointIds: change.endpointIds, reason: 'keyword STOP' },
      },
    });
    const events = () => db().db.selectFrom('jobs').select(['id', 'queue', 'payload']).execute();

    await expect(
      store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0 + 1, () => {
        throw new Error('no events');
      }),
    ).rejects.toThrow('no events');
    expect((await store.get('a1', 'e1'))?.optOut).toBe('NONE');
    expect(await store.optedOutAt('a1', 'WHATSAPP', ['+16505551234'])).toEqual(new Map());
    expect(await events()).toEqual([]);

    const seen: OptOutChange[] = [];
    const changed = await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0 + 1, (change) => {
      seen.push(change);
      return [event(change)];
    });
    expect(changed).toEqual(['e1']);
    expect(seen).toEqual([{ listChanged: 1, endpointIds: ['e1'] }]);
    expect(await events()).toEqual([
      { id: 'd-e1', queue: 'event', payload: expect.stringContaining('"endpointIds":["e1"]') },
    ]);
  });

  it('remembers an opt-out of an address that has no endpoint, and opts out the endpoints later created with it', async () => {
    const store = await setUp(db());
    const batchOf = (patches: EndpointPatch[]) => {
      const builder = new EndpointBatchBuilder();
      for (const patch of patches) builder.add(patch);
      return builder.build();
    };
    const optOut = async (id: string) => (await store.get('a1', id))?.optOut;
    expect(await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0)).toEqual([]);
    expect(await store.setOptOut('a1', 'SMS', '+16505550000', 'ALL', T0)).toEqual([]);

    // A single write, a write that says NONE (the list wins at creation), a batch, an import batch of new
    // endpoints and an import batch that takes the general path (one of its endpoints is stored).
    await store.upsert('a1', [whatsapp('e1', '+16505551234')], { at: T0 + 1 });
    await store.upsert('a1', [whatsapp('e2', '+16505551234', { optOut: 'NONE' })], { at: T0 + 1 });
    await store.upsert('a1', [whatsapp('e3', '+16505551234'), whatsapp('e4', '+16505559999')], {
      at: T0 + 1,
    });
    await store.importBatch('a1', batchOf([whatsapp('e5', '+16505551234'), whatsapp('e6', '+16505559998')]), {
      at: T0 + 2,
    });
    await store.importBatch('a1', batchOf([whatsapp('e4', '+16505559999'), whatsapp('e7', '+16505551234')]), {
      at: T0 + 3,
    });
    for (const id of ['e1', 'e2', 'e3', 'e5', 'e7']) expect(await optOut(id), id).toBe('ALL');
    for (const id of ['e4', 'e6']) expect(await optOut(id), id).toBe('NONE');
    // The list is per channel type and per app.
    await store.upsert('a1', [{ id: 's1', channelType: 'SMS', address: '+16505551234' }], { at: T0 + 4 });
    await store.upsert('a2', [whatsapp('e1', '+16505551234')], { at: T0 + 4 });
    expect(await optOut('s1')).toBe('NONE');
    expect((await store.get('a2', 'e1'))?.optOut).toBe('NONE');
    // An endpoint that moves to a listed address is opted out as a new one would be.
    await store.upsert('a1', [{ id: 's1', address: '+16505550000' }], { at: T0 + 5 });
    expect(await optOut('s1')).toBe('ALL');

    // START forgets the address: the endpoints opt back in, and a new endpoint starts opted in.
    expect(await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'NONE', T0 + 6)).toEqual([
      'e1',
      'e2',
      'e3',
      'e5',
      'e7',
    ]);
    await store.upsert('a1', [whatsapp('e8', '+16505551234')], { at: T0 + 7 });
    await store.importBatch('a1', batchOf([whatsapp('e9', '+16505551234')]), { at: T0 + 7 });
    expect(await optOut('e8')).toBe('NONE');
    expect(await optOut('e9')).toBe('NONE');
  });

  it('forgets a listed address when the app opts a stored endpoint with it back in, and keeps it for any other update', async () => {
    const store = await setUp(db());
    await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0);
    await store.upsert('a1', [whatsapp('e1', '+16505551234')], { at: T0 + 1 });
    // Updates that leave the opt-out alone, or say ALL, keep the address listed.
    await store.upsert('a1', [{ id: 'e1', attributes: { a: ['1'] } }], { at: T0 + 2 });
    await store.upsert('a1', [{ id: 'e1', optOut: 'ALL' }], { at: T0 + 2 });
    expect((await store.delete('a1', 'e1'))?.optOut).toBe('ALL');
    await store.upsert('a1', [whatsapp('e1', '+16505551234')], { at: T0 + 3 });
    expect((await store.get('a1', 'e1'))?.optOut).toBe('ALL');
    // The app's explicit NONE on the stored endpoint is fresh consent: it opts in, and the address is forgotten.
    await store.upsert('a1', [{ id: 'e1', optOut: 'NONE' }], { at: T0 + 4 });
    expect((await store.get('a1', 'e1'))?.optOut).toBe('NONE');
    await store.delete('a1', 'e1');
    await store.upsert('a1', [whatsapp('e2', '+16505551234')], { at: T0 + 5 });
    expect((await store.get('a1', 'e2'))?.optOut).toBe('NONE');
  });

  it('forgets a listed address for an explicit opt-in (a LINE follow) without touching the endpoints', async () => {
    const store = await setUp(db());
    const address = `U${'a'.repeat(32)}`;
    await store.setOptOut('a1', 'LINE', address, 'ALL', T0);
    await store.forgetOptOut('a1', 'LINE', address);
    await store.upsert('a1', [{ id: 'l1', channelType: 'LINE', address }], { at: T0 + 1 });
    expect((await store.get('a1', 'l1'))?.optOut).toBe('NONE');
  });

  it('opts out an endpoint being created while a STOP for its address is recorded', async () => {
    await setUp(db());
    const real = audienceSqlFor(db().dialect);
    let paused: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      paused = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The write stops after it has read the (empty) list, before it inserts.
    const slow = {
      ...real,
      async insertEndpointRows(...args: Parameters<typeof real.insertEndpointRows>) {
        paused();
        await released;
        return real.insertEndpointRows(...args);
      },
      async writeEndpointRows(...args: Parameters<typeof real.writeEndpointRows>) {
        paused();
        await released;
        return real.writeEndpointRows(...args);
      },
    };
    const writer = new KyselyEndpointStore(db().db, db().dialect, hasher, slow);
    const store = new KyselyEndpointStore(db().db, db().dialect, hasher);
    const creating = writer.upsert('a1', [whatsapp('e1', '+16505551234')], { at: T0 });
    await reached;
    let stopped = false;
    const stop = store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0 + 1).then((ids) => {
      stopped = true;
      return ids;
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      // The STOP waits for the write, then finds its endpoint.
      expect(stopped).toBe(false);
    } finally {
      release();
    }
    await creating;
    expect(await stop).toEqual(['e1']);
    expect((await store.get('a1', 'e1'))?.optOut).toBe('ALL');
  });

  it('keeps no address in the opt-out list, and deletes the list with its app', async () => {
    const store = await setUp(db());
    await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0);
    await store.setOptOut('a1', 'WHATSAPP', '+16505551234', 'ALL', T0 + 1);
    await store.setOptOut('a2', 'LINE', `U${'b'.repeat(32)}`, 'ALL', T0);
    const rows = await db().db.selectFrom('opt_out_list').selectAll().orderBy('app_id').execute();
    // The first opt-out's time is kept.
    expect(rows).toEqual([
      {
        app_id: 'a1',
        channel_type: 'WHATSAPP',
        recipient_hash: hasher('WHATSAPP', '+16505551234'),
        opted_out_at: T0,
      },
      {
        app_id: 'a2',
        channel_type: 'LINE',
        recipient_hash: hasher('LINE', `U${'b'.repeat(32)}`),
        opted_out_at: T0,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain('6505551234');
    expect(JSON.stringify(rows)).not.toContain('bbbb');
    await new KyselyAppStore(db().db).deleteApp('a1');
    expect(
      (await db().db.selectFrom('opt_out_list').select('app_id').execute()).map((r) => r.app_id),
    ).toEqual(['a2']);
  });

  it('puts many addresses on the list in one call, counting the new ones, and opts out their endpoints', async () => {
    const store = await setUp(db());
    const [listed, stored, fresh, unknown] = ['+16505551230', '+16505551231', '+16505551232', '+16505551233'];
    await store.setOptOut('a1', 'WHATSAPP', listed, 'ALL', T0);
    // The address's endpoints, active or not, are opted out; another channel type and another app are not.
    await store.upsert('a1', [whatsapp('e1', stored), whatsapp('e2', stored)], { at: T0 });
    await store.upsert('a1', [{ id: 's1', channelType: 'SMS', address: stored }], { at: T0 });
    await store.upsert('a2', [whatsapp('e1', stored)], { at: T0 });

    expect(await store.setOptOuts('a1', 'WHATSAPP', [listed, stored, fresh], 'ALL', T0 + 1)).toEqual({
      listChanged: 2,
      endpointIds: ['e1', 'e2'],
    });
    expect((await store.get('a1', 'e2'))?.optOut).toBe('ALL');
    expect((await store.get('a1', 's1'))?.optOut).toBe('NONE');
    expect((await store.get('a2', 'e1'))?.optOut).toBe('NONE');
    expect(await store.setOptOuts('a1', 'WHATSAPP', [stored, fresh], 'ALL', T0 + 2)).toEqual({
      listChanged: 0,
      endpointIds: [],
    });
    await store.upsert('a1', [whatsapp('e3', fresh, { optOut: 'NONE' })], { at: T0 + 2 });
    expect((await store.get('a1', 'e3'))?.optOut).toBe('ALL');

    // Each address's first time is kept; an address not listed has no entry.
    expect(await store.optedOutAt('a1', 'WHATSAPP', [listed, stored, fresh, unknown])).toEqual(
      new Map([
        [listed, T0],
        [stored, T0 + 1],
        [fresh, T0 + 1],
      ]),
    );
    expect(await store.optedOutAt('a1', 'SMS', [stored])).toEqual(new Map());
    expect(await store.optedOutAt('a2', 'WHATSAPP', [stored])).toEqual(new Map());
    await store.setOptOut('a1', 'SMS', unknown, 'ALL', T0 + 3);
    expect(await store.optOutCounts('a1')).toEqual([
      { channelType: 'SMS', count: 1, lastOptedOutAt: T0 + 3 },
      { channelType: 'WHATSAPP', count: 3, lastOptedOutAt: T0 + 1 },
    ]);
    expect(await store.optOutCounts('a2')).toEqual([]);

    // Taking addresses off opts their endpoints back in, and counts only those that were listed.
    expect(await store.setOptOuts('a1', 'WHATSAPP', [stored, fresh, unknown], 'NONE', T0 + 4)).toEqual({
      listChanged: 2,
      endpointIds: ['e1', 'e2', 'e3'],
    });
    expect(await store.optedOutAt('a1', 'WHATSAPP', [listed, stored, fresh])).toEqual(
      new Map([[listed, T0]]),
    );
    await store.upsert('a1', [whatsapp('e4', stored)], { at: T0 + 5 });
    expect((await store.get('a1', 'e4'))?.optOut).toBe('NONE');
    expect(await store.optOutCounts('a1')).toEqual([
      { channelType: 'SMS', count: 1, lastOptedOutAt: T0 + 3 },
      { channelType: 'WHATSAPP', count: 1, lastOptedOutAt: T0 },
    ]);
  });

  it('lists and unlists more addresses at once than one statement takes', async () => {
    const store = await setUp(db());
    const addresses = Array.from({ length: 2_500 }, (_, i) => `+1650555${String(i).padStart(4, '0')}`);
    await store.upsert('a1', [{ id: 's1', channelType: 'SMS', address: addresses[2_499] as string }], {
      at: T0,
    });
    expect(await store.setOptOuts('a1', 'SMS', addresses.slice(0, 1_200), 'ALL', T0)).toEqual({
      listChanged: 1_200,
      endpointIds: [],
    });
    expect(await store.setOptOuts('a1', 'SMS', addresses, 'ALL', T0 + 1)).toEqual({
      listChanged: 1_300,
      endpointIds: ['s1'],
    });
    expect((await store.optedOutAt('a1', 'SMS', addresses)).size).toBe(2_500);
    expect(await store.optOutCounts('a1')).toEqual([
      { channelType: 'SMS', count: 2_500, lastOptedOutAt: T0 + 1 },
    ]);
    expect(await store.setOptOuts('a1', 'SMS', addresses, 'NONE', T0 + 2)).toEqual({
      listChanged: 2_500,
      endpointIds: ['s1'],
    });
    expect(await store.optOutCounts('a1')).toEqual([]);
  });

  it('records activity without moving it backwards, and keeps it across later writes', async () => {
    const store = await setUp(db());
    await store.upsert('a1', [whatsapp('e1', '+16505551234'), whatsapp('e2', '+16505551235')], { at: T0 });
    await store.touchActivity('a1', ['e1', 'e2'], T0 + 5000);
    await store.touchActivity('a1', ['e1'], T0 + 1000);
    expect((await store.get('a1', 'e1'))?.lastActiveAt).toBe(T0 + 5000);
    await store.upsert('a1', [{ id: 'e1', attributes: { a: ['b'] } }], { at: T0 + 6000 });
    expect((await store.get('a1', 'e1'))?.lastActiveAt).toBe(T0 + 5000);
    await store.touchActivity('a1', [], T0);
  });

  it('lists with filters in id order, page by page', async () => {
    const store = await setUp(db());
    await store.upsert(
      'a1',
      [
        whatsapp('e3', '+16505550003', { user: { userId: 'u1' } }),
        whatsapp('e1', '+16505550001', { user: { userId: 'u1' } }),
        { id: 'e2', channelType: 'SMS', address: '+16505550001', optOut: 'ALL' },
        whatsapp('e4', '+16505550004'),
      ],
      { at: T0 },
    );
    const ids = async (filter: Parameters<typeof store.list>[1], page = { limit: 10 }) =>
      (await store.list('a1', filter, page)).map((e) => e.id);
    expect(await ids({})).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(await ids({}, { limit: 2 })).toEqual(['e1', 'e2']);
    expect(await ids({}, { limit: 2, afterId: 'e2' } as { limit: number })).toEqual(['e3', 'e4']);
    expect(await ids({ channelType: 'SMS' })).toEqual(['e2']);
    expect(await ids({ addresses: ['+16505550001'] })).toEqual(['e1', 'e2']);
    expect(await ids({ addresses: ['+16505550001'], channelType: 'WHATSAPP' })).toEqual(['e1']);
    expect(await ids({ userId: 'u1' })).toEqual(['e1', 'e3']);
    expect(await ids({ optOut: 'ALL' })).toEqual(['e2']);
    expect(await ids({ optOut: 'NONE', userId: 'u1' })).toEqual(['e1', 'e3']);
    expect((await store.list('a2', {}, { limit: 10 })).length).toBe(0);
  });

  it('repeats a write the careful way when an endpoint it believed new was created meanwhile', async () => {
    await setUp(db());
    const real = audienceSqlFor(db().dialect);
    let plainInserts = 0;
    // A concurrent writer is simulated by the database refusing the first plain insert as a duplicate.
    const racing = {
      ...real,
      async insertEndpointRows(...args: Parameters<typeof real.insertEndpointRows>) {
        plainInserts++;
        if (plainInserts === 1) throw Object.assign(new Error('duplicate key'), { code: '23505' });
        return real.insertEndpointRows(...args);
      },
    };
    const store = new KyselyEndpointStore(db().db, db().dialect, hasher, racing);
    const outcome = await store.upsert('a1', [whatsapp('e1', '+16505551234', { attributes: { a: ['1'] } })], {
      at: T0,
    });
    expect(outcome.written.map((e) => e.id)).toEqual(['e1']);
    expect(plainInserts).toBe(1);
    expect((await store.get('a1', 'e1'))?.attributes).toEqual({ a: ['1'] });
    expect(await store.attributeKeys('a1')).toEqual([{ kind: 'attributes', name: 'a' }]);
  });

  it('merges a bulk write into stored endpoints like any other write', async () => {
    const store = await setUp(db());
    await store.upsert(
      'a1',
      [whatsapp('e1', '+16505551234', { attributes: { a: ['1'] }, user: { userId: 'u1' } })],
      {
        at: T0,
      },
    );
    const outcome = await store.upsert(
      'a1',
      [whatsapp('e1', '+16505551234', { attributes: { b: ['2'] } }), whatsapp('e2', '+16505551235')],
      { at: T0 + 1, bulk: true, mode: 'skip-rejected' },
    );
    expect(outcome.written.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(await store.get('a1', 'e1')).toMatchObject({
      attributes: { a: ['1'], b: ['2'] },
      user: { userId: 'u1' },
      createdAt: T0,
      updatedAt: T0 + 1,
    });
    expect((await store.get('a1', 'e2'))?.createdAt).toBe(T0 + 1);
  });

  it("keeps a stored endpoint's place with its user in a bulk write, as in any other write", async () => {
    const store = await setUp(db());
    const full = Array.from({ length: 15 }, (_, i) =>
      whatsapp(`u${i}`, `+1650555${String(1100 + i)}`, { user: { userId: 'full' } }),
    );
    await store.upsert('a1', full, { at: T0 });
    const outcome = await store.upsert(
      'a1',
      [
        whatsapp('new', '+16505550001', { user: { userId: 'full' } }),
        whatsapp('u3', '+16505551103', { user: { userId: 'full' } }),
      ],
      { at: T0 + 1, bulk: true, mode: 'skip-rejected' },
    );
    expect(outcome.written.map((e) => e.id)).toEqual(['u3']);
    expect(outcome.rejected).toEqual([expect.objectContaining({ index: 0, field: 'user.userId' })]);
    expect(await store.get('a1', 'new')).toBeUndefined();
  });

  it('writes an import batch exactly as a skip-rejected bulk upsert of its patches would', async () => {
    const store = await setUp(db());
    const upsert = vi.spyOn(store, 'upsert');
    const seed = [
      whatsapp('s1', '+16505550001', { attributes: { tag: ['a'] }, user: { userId: 'full' } }),
      whatsapp('s2', '+16505550002', { metrics: { m: 1 } }),
      ...Array.from({ length: 13 }, (_, i) =>
        whatsapp(`u${i}`, `+1650555${String(1100 + i)}`, { user: { userId: 'full' } }),
      ),
    ];
    const batches: EndpointPatch[][] = [
      // All new: the path without merging, checked against the general one.
      [
        whatsapp('n1', '+16505550001', {
          attributes: { tag: ['b', '2026-01-02T03:04:05Z'] },
          metrics: { m: 2 },
          user: { userId: 'full', userAttributes: {} },
          location: { country: 'US', latitude: 1.5 },
          demographic: { platform: 'ios' },
          optOut: 'ALL',
          effectiveDate: '2026-01-01T00:00:00.000Z',
          requestId: 'r',
        }),
        whatsapp('n2', '+16505550003', { user: { userId: 'full' } }),
        { id: 'n3', channelType: 'SMS', address: '+16505550002' },
        whatsapp('n4', '+16505550003'),
        whatsapp('n5', '+16505550004', { endpointStatus: 'INACTIVE' }),
      ],
      // A stored id: merged.
      [whatsapp('s2', '+16505550009', { attributes: { tag: ['c'] } }), whatsapp('n6', '+16505550006')],
      // A repeated id.
      [whatsapp('n7', '+16505550007'), whatsapp('n7', '+16505550008', { metrics: { m: 3 } })],
      // A name the app has not used yet.
      [whatsapp('n8', '+16505550010', { attributes: { fresh: ['x'] } })],
      // A stored endpoint of a full user keeps its place (counted once, not refused as a sixteenth).
      [whatsapp('u0', '+16505551100', { user: { userId: 'full' } }), whatsapp('n9', '+16505550011')],
    ];
    const expected: unknown[] = [];
    const actual: unknown[] = [];
    await store.upsert('a1', seed, { at: T0 });
    await store.upsert('a2', seed, { at: T0 });
    for (const [i, patches] of batches.entries()) {
      const at = T0 + 1 + i;
      const general = await store.upsert('a1', patches, { at, mode: 'skip-rejected', bulk: true });
      expected.push({ written: general.written.map((e) => e.id), rejected: general.rejected });
      upsert.mockClear();
      const builder = new EndpointBatchBuilder();
      for (const patch of patches) builder.add(patch);
      actual.push(await store.importBatch('a2', builder.build(), { at }));
      expect(upsert).toHaveBeenCalledTimes(i === 0 ? 0 : 1);
    }
    expect(actual).toEqual(expected);
    expect(expected[0]).toMatchObject({
      written: ['n1', 'n3', 'n4', 'n5'],
      rejected: [{ index: 1, field: 'user.userId' }],
    });
    const stored = async (appId: string) =>
      (await store.list(appId, {}, { limit: 100 })).map((e) => ({ ...e, appId: 'any' }));
    expect(await stored('a2')).toEqual(await stored('a1'));
    expect(await store.attributeKeys('a2')).toEqual(await store.attributeKeys('a1'));
    expect((await store.get('a2', 's1'))?.endpointStatus).toBe('INACTIVE');
    expect((await store.get('a2', 'n4'))?.endpointStatus).toBe('ACTIVE');
  });

  it('writes import batches of text with tabs, line breaks, backslashes, quotes and any script as the general path does', async () => {
    const store = await setUp(db());
    const odd = [
      'tab\there',
      'line\nbreak\r\nand CR',
      'back\\slash \\N \\t',
      'quote " and \'',
      'Zoë 日本語 🙂',
      '\\',
    ];
    const patches = odd.map((text, i) =>
      whatsapp(`odd-${i}-${text}`, `+1650555${String(2000 + i)}`, {
        attributes: { [`tag ${text}`]: [text, `${text}2`] },
        metrics: { m: i + 0.25 },
        user: { userId: `user ${text}`, userAttributes: { name: [text] } },
        location: { city: text, latitude: -12.345678901234 + i, longitude: 1e-7 },
        demographic: { model: text },
        requestId: text,
      }),
    );
    // The names counted first (by an endpoint of each app), so that the batch takes the path of new endpoints.
    const names = whatsapp('names', '+16505559999', {
      attributes: Object.fromEntries(patches.flatMap((p) => Object.entries(p.attributes ?? {}))),
      metrics: { m: 0 },
      user: { userAttributes: { name: ['x'] } },
    });
    await store.upsert('a1', [names], { at: T0 });
    await store.upsert('a2', [names], { at: T0 });
    await store.upsert('a1', patches, { at: T0, mode: 'skip-rejected', bulk: true });
    const upsert = vi.spyOn(store, 'upsert');
    const builder = new EndpointBatchBuilder();
    for (const patch of patches) builder.add(patch);
    const outcome = await store.importBatch('a2', builder.build(), { at: T0 });
    expect(upsert).not.toHaveBeenCalled();
    expect(outcome.written).toHaveLength(odd.length);
    const stored = async (appId: string) =>
      (await store.list(appId, {}, { limit: 100 })).map((e) => ({ ...e, appId: 'any' }));
    expect(await stored('a2')).toEqual(await stored('a1'));
    expect((await store.get('a2', patches[1]?.id as string))?.location.city).toBe(odd[1]);
  });

  it('orders ids by their bytes on both databases', async () => {
    const store = await setUp(db());
    const ids = ['a', 'B', 'é', 'Z', '_', 'e', 'ab', 'A b'];
    await store.upsert(
      'a1',
      ids.map((id, i) => ({ id, channelType: 'CUSTOM', address: `addr-${i}` })),
      { at: T0 },
    );
    const bytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect((await store.list('a1', {}, { limit: 100 })).map((e) => e.id)).toEqual(bytes);
  });

  it('deletes one endpoint or all of a user', async () => {
    const store = await setUp(db());
    await store.upsert(
      'a1',
      [
        whatsapp('e1', '+16505550001', { user: { userId: 'u1' } }),
        whatsapp('e2', '+16505550002', { user: { userId: 'u1' } }),
        whatsapp('e3', '+16505550003', { user: { userId: 'u2' } }),
      ],
      { at: T0 },
    );
    expect((await store.delete('a1', 'e3'))?.id).toBe('e3');
    expect(await store.delete('a1', 'e3')).toBeUndefined();
    expect(await store.delete('a2', 'e1')).toBeUndefined();
    expect((await store.deleteByUser('a1', 'u1')).map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(await store.deleteByUser('a1', 'u1')).toEqual([]);
    expect(await store.list('a1', {}, { limit: 10 })).toEqual([]);
  });
});
