import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { adminHeaders, createTestApp, createTestHerald } from '../helpers/test-herald.js';

describeEachDatabase('endpoints over HTTP', (db) => {
  let herald: Herald;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  beforeEach(async () => {
    herald = await createTestHerald(db());
    app = await createTestApp(herald);
  });
  afterEach(() => herald.stop());

  const put = (id: string, payload: unknown, headers = app.headers) =>
    herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints/${encodeURIComponent(id)}`,
      headers,
      payload: payload as object,
    });
  const get = (url: string, headers = app.headers) =>
    herald.server.inject({ method: 'GET', url: `/v1/apps/${app.appId}${url}`, headers });

  it('creates an endpoint (201) with its address in E.164, then updates it (200) by Pinpoint rules', async () => {
    const created = await put('e1', {
      channelType: 'WHATSAPP',
      address: '+1 (650) 555-1234',
      attributes: { Interests: ['Music'], Plan: ['gold'] },
      metrics: { sessions: 3 },
      location: { country: 'US', city: 'Seattle' },
      user: { userId: 'u1', userAttributes: { FirstName: ['Mei'] } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'e1',
      channelType: 'WHATSAPP',
      address: '+16505551234',
      endpointStatus: 'ACTIVE',
      optOut: 'NONE',
      cohortId: expect.stringMatching(/^\d{1,2}$/),
      createdAt: expect.any(String),
    });

    const updated = await put('e1', {
      optOut: 'ALL',
      attributes: { Plan: [] },
      metrics: { visits: 1 },
      location: { city: null },
    });
    expect(updated.statusCode).toBe(200);
    const body = updated.json();
    expect(body).toMatchObject({
      address: '+16505551234',
      optOut: 'ALL',
      attributes: { Interests: ['Music'] },
      metrics: { sessions: 3, visits: 1 },
      location: { country: 'US' },
      user: { userId: 'u1', userAttributes: { FirstName: ['Mei'] } },
    });
    expect(body.attributes.Plan).toBeUndefined();
    expect(body.location.city).toBeUndefined();
    expect((await get('/endpoints/e1')).json()).toEqual(body);
  });

  it('reads, updates and deletes an endpoint by an id as long as its validation allows (256 characters)', async () => {
    // Fastify's default refused path segments over 100 characters (414): ids PUT accepted could not be read back.
    const id = `${'e'.repeat(250)}-ü`;
    const path = `/endpoints/${encodeURIComponent(id)}`;
    expect((await put(id, { channelType: 'CUSTOM', address: 'a1' })).statusCode).toBe(201);
    expect((await get(path)).json()).toMatchObject({ id, address: 'a1' });
    const user = `${'u'.repeat(255)}`;
    expect(
      (await put('e2', { channelType: 'CUSTOM', address: 'a2', user: { userId: user } })).statusCode,
    ).toBe(201);
    expect((await get(`/users/${user}`)).statusCode).toBe(200);
    const removed = await herald.server.inject({
      method: 'DELETE',
      url: `/v1/apps/${app.appId}${path}`,
      headers: app.headers,
    });
    expect(removed.statusCode).toBe(204);
  });

  it('answers bad input with a code, the field and a reason, and writes nothing', async () => {
    const cases: [unknown, number, string, string][] = [
      [{ channelType: 'WHATSAPP', address: '12' }, 400, 'HERALD_INVALID_ADDRESS', 'address'],
      [{ channelType: 'SMS', address: 'not a number' }, 400, 'HERALD_INVALID_ADDRESS', 'address'],
      [{ channelType: 'LINE', address: 'U123' }, 400, 'HERALD_INVALID_ADDRESS', 'address'],
      [{ channelType: 'PIGEON', address: 'x' }, 400, 'HERALD_VALIDATION_FAILED', 'channelType'],
      [{ address: '+16505551234' }, 400, 'HERALD_VALIDATION_FAILED', 'channelType'],
      [{ channelType: 'SMS' }, 400, 'HERALD_VALIDATION_FAILED', 'address'],
      [{ channelType: 'SMS', address: '+16505551234', colour: 'red' }, 400, 'HERALD_UNKNOWN_FIELD', 'colour'],
      [
        { channelType: 'SMS', address: '+16505551234', location: { planet: 'Mars' } },
        400,
        'HERALD_UNKNOWN_FIELD',
        'location.planet',
      ],
      [
        { channelType: 'SMS', address: '+16505551234', attributes: { ['n'.repeat(51)]: ['x'] } },
        400,
        'HERALD_QUOTA_EXCEEDED',
        `attributes.${'n'.repeat(51)}`,
      ],
      [
        { channelType: 'SMS', address: '+16505551234', attributes: { a: ['v'.repeat(101)] } },
        400,
        'HERALD_QUOTA_EXCEEDED',
        'attributes.a',
      ],
      // Characters, not UTF-16 units: 101 emoji are too many.
      [
        { channelType: 'SMS', address: '+16505551234', attributes: { a: ['😀'.repeat(101)] } },
        400,
        'HERALD_QUOTA_EXCEEDED',
        'attributes.a',
      ],
      [
        { channelType: 'SMS', address: '+16505551234', user: { userAttributes: { a: Array(51).fill('v') } } },
        400,
        'HERALD_QUOTA_EXCEEDED',
        'user.userAttributes.a',
      ],
      [
        { channelType: 'SMS', address: '+16505551234', effectiveDate: 'yesterday' },
        400,
        'HERALD_VALIDATION_FAILED',
        'effectiveDate',
      ],
      [
        { channelType: 'SMS', address: '+16505551234', location: { latitude: 91 } },
        400,
        'HERALD_VALIDATION_FAILED',
        'location.latitude',
      ],
      [
        { channelType: 'SMS', address: '+16505551234', metrics: { m: 'high' } },
        400,
        'HERALD_VALIDATION_FAILED',
        'metrics.m',
      ],
      [
        { channelType: 'SMS', address: '+16505551234', requestId: 'x\u0000' },
        400,
        'HERALD_VALIDATION_FAILED',
        'requestId',
      ],
    ];
    for (const [payload, status, code, field] of cases) {
      const response = await put('e1', payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(status);
      expect(response.json().error, JSON.stringify(payload).slice(0, 80)).toMatchObject({ code, field });
      expect(response.json().error.message).toContain(field);
    }
    expect((await get('/endpoints/e1')).statusCode).toBe(404);
    // 100 emoji are 100 characters (200 UTF-16 units).
    expect(
      (
        await put('emoji', {
          channelType: 'SMS',
          address: '+16505551299',
          attributes: { a: ['😀'.repeat(100)] },
        })
      ).statusCode,
    ).toBe(201);

    // Changing the channel type re-checks the stored address.
    expect((await put('c1', { channelType: 'CUSTOM', address: 'some-id' })).statusCode).toBe(201);
    const changed = await put('c1', { channelType: 'SMS' });
    expect(changed.json().error).toMatchObject({ code: 'HERALD_INVALID_ADDRESS', field: 'channelType' });
  });

  it('takes a time zone a campaign can use and a locale a template language can match, and refuses others', async () => {
    // A zone the campaign could not read was stored, and local-time and quiet-time sends then went by the
    // campaign's zone without a word; a locale in no known shape never matched a consent template language.
    const accepted: [string, string][] = [
      ['America/Sao_Paulo', 'pt_BR'],
      ['UTC+05:30', 'en'],
      ['UTC', 'en-US'],
      ['Asia/Tokyo', 'fil'],
    ];
    for (const [i, [timezone, locale]] of accepted.entries()) {
      const response = await put(`z${i}`, {
        channelType: 'CUSTOM',
        address: `a${i}`,
        demographic: { timezone, locale },
      });
      expect(response.statusCode, `${timezone} ${locale}`).toBe(201);
      expect(response.json().demographic).toEqual({ timezone, locale });
    }
    const refused: [Record<string, unknown>, string][] = [
      [{ timezone: 'Mars/Olympus_Mons' }, 'demographic.timezone'],
      [{ timezone: 'UTC+15' }, 'demographic.timezone'],
      [{ timezone: 'local' }, 'demographic.timezone'],
      [{ timezone: '' }, 'demographic.timezone'],
      [{ locale: 'English' }, 'demographic.locale'],
      [{ locale: 'en_US.UTF-8' }, 'demographic.locale'],
      [{ locale: '' }, 'demographic.locale'],
    ];
    for (const [demographic, field] of refused) {
      const response = await put('z0', { demographic });
      expect(response.statusCode, JSON.stringify(demographic)).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'HERALD_VALIDATION_FAILED',
        field,
        message: expect.stringContaining(field),
        details: [{ field, reason: expect.stringMatching(/^must be /) }],
      });
    }
    // Nothing of the refused writes was kept; null still clears.
    expect((await get('/endpoints/z0')).json().demographic).toEqual({
      timezone: 'America/Sao_Paulo',
      locale: 'pt_BR',
    });
    const cleared = await put('z0', { demographic: { timezone: null } });
    expect(cleared.json().demographic).toEqual({ locale: 'pt_BR' });

    const batch = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: {
        items: [
          { id: 'z8', channelType: 'CUSTOM', address: 'a8', demographic: { timezone: 'Europe/Paris' } },
          { id: 'z9', channelType: 'CUSTOM', address: 'a9', demographic: { timezone: 'Paris' } },
        ],
      },
    });
    expect(batch.json().error).toMatchObject({
      code: 'HERALD_BATCH_INVALID',
      field: 'items[1].demographic.timezone',
      details: [{ index: 1, field: 'demographic.timezone', reason: expect.stringContaining('IANA') }],
    });
    expect((await get('/endpoints/z8')).statusCode).toBe(404);
  });

  it('writes a batch of up to 100 as a whole, listing the index and field of every bad item', async () => {
    const ok = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: {
        items: [
          { id: 'b1', channelType: 'SMS', address: '+16505550001' },
          { id: 'b2', channelType: 'LINE', address: `U${'a'.repeat(32)}` },
        ],
      },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().items.map((e: { id: string }) => e.id)).toEqual(['b1', 'b2']);

    const bad = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: {
        items: [
          { id: 'b3', channelType: 'SMS', address: '+16505550003' },
          { id: 'b4', channelType: 'SMS', address: 'nope' },
          { id: 'b5', channelType: 'SMS', address: '+16505550005', attributes: { ['x'.repeat(60)]: ['1'] } },
        ],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'HERALD_BATCH_INVALID',
      field: 'items[1].address',
      details: [
        { index: 1, field: 'address', reason: expect.any(String) },
        { index: 2, field: `attributes.${'x'.repeat(60)}`, reason: expect.any(String) },
      ],
    });
    expect((await get('/endpoints/b3')).statusCode).toBe(404);

    const shape = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: {
        items: [
          { id: 'b6', channelType: 'SMS', address: '+16505550006' },
          { id: 'b7', channelType: 'SMS', address: '+16505550007', colour: 'red' },
          { id: 'b8', channelType: 'PIGEON', address: 'x' },
        ],
      },
    });
    expect(shape.json().error).toMatchObject({
      code: 'HERALD_BATCH_INVALID',
      details: [
        { index: 1, field: 'colour', reason: 'unknown field' },
        { index: 2, field: 'channelType' },
      ],
    });

    const tooMany = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: {
        items: Array.from({ length: 101 }, (_, i) => ({
          id: `m${i}`,
          channelType: 'CUSTOM',
          address: `a${i}`,
        })),
      },
    });
    expect(tooMany.json().error).toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'items' });

    const empty = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: { items: [] },
    });
    expect(empty.json().error).toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'items' });
  });

  it('makes the older endpoint INACTIVE when a new one takes its address', async () => {
    await put('old', { channelType: 'WHATSAPP', address: '+16505551234' });
    await put('new', { channelType: 'WHATSAPP', address: '16505551234' });
    expect((await get('/endpoints/old')).json().endpointStatus).toBe('INACTIVE');
    expect((await get('/endpoints/new')).json().endpointStatus).toBe('ACTIVE');
  });

  it('lists with filters and a cursor', async () => {
    await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: {
        items: [
          { id: 'l1', channelType: 'WHATSAPP', address: '+16505550001', user: { userId: 'u1' } },
          { id: 'l2', channelType: 'SMS', address: '+16505550001', optOut: 'ALL' },
          { id: 'l3', channelType: 'WHATSAPP', address: '+16505550003', user: { userId: 'u1' } },
        ],
      },
    });
    const ids = async (query: string) => {
      const response = await get(`/endpoints${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json().items.map((e: { id: string }) => e.id);
    };
    const first = await get('/endpoints?limit=2');
    expect(first.json().items.map((e: { id: string }) => e.id)).toEqual(['l1', 'l2']);
    expect(await ids(`?limit=2&cursor=${first.json().nextCursor}`)).toEqual(['l3']);
    expect((await get(`/endpoints?limit=3`)).json().nextCursor).toBeNull();
    expect(await ids('?channelType=SMS')).toEqual(['l2']);
    expect(await ids(`?address=${encodeURIComponent('+1 650-555-0001')}`)).toEqual(['l1', 'l2']);
    expect(await ids('?userId=u1')).toEqual(['l1', 'l3']);
    expect(await ids('?optOut=ALL')).toEqual(['l2']);

    for (const [query, code, field] of [
      ['?cursor=nonsense', 'HERALD_INVALID_CURSOR', 'cursor'],
      ['?optOut=SOME', 'HERALD_VALIDATION_FAILED', 'optOut'],
      ['?channelType=PIGEON', 'HERALD_VALIDATION_FAILED', 'channelType'],
      ['?limit=5000', 'HERALD_VALIDATION_FAILED', 'limit'],
      ['?colour=red', 'HERALD_UNKNOWN_FIELD', 'colour'],
    ]) {
      const response = await get(`/endpoints${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error, query).toMatchObject({ code, field });
    }
  });

  it("gets and deletes one endpoint, and all of a user's", async () => {
    await put('d1', { channelType: 'SMS', address: '+16505550001', user: { userId: 'u1' } });
    await put('d2', { channelType: 'SMS', address: '+16505550002', user: { userId: 'u1' } });
    await put('d3', { channelType: 'SMS', address: '+16505550003' });
    const user = await get('/users/u1');
    expect(user.json().items.map((e: { id: string }) => e.id)).toEqual(['d1', 'd2']);

    const del = (url: string) =>
      herald.server.inject({ method: 'DELETE', url: `/v1/apps/${app.appId}${url}`, headers: app.headers });
    expect((await del('/endpoints/d3')).statusCode).toBe(204);
    expect((await del('/endpoints/d3')).json().error).toMatchObject({
      code: 'HERALD_NOT_FOUND',
      field: 'endpointId',
    });
    expect((await get('/endpoints/d3')).statusCode).toBe(404);
    expect((await del('/users/u1')).statusCode).toBe(204);
    expect((await get('/users/u1')).json().error).toMatchObject({
      code: 'HERALD_NOT_FOUND',
      field: 'userId',
    });
    expect((await del('/users/u1')).statusCode).toBe(404);
  });

  it('keeps at most 15 endpoints per user', async () => {
    const items = Array.from({ length: 15 }, (_, i) => ({
      id: `q${i}`,
      channelType: 'CUSTOM',
      address: `addr-${i}`,
      user: { userId: 'u1' },
    }));
    const full = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/endpoints`,
      headers: app.headers,
      payload: { items },
    });
    expect(full.statusCode).toBe(200);
    const over = await put('q15', { channelType: 'CUSTOM', address: 'addr-15', user: { userId: 'u1' } });
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatchObject({ code: 'HERALD_QUOTA_EXCEEDED', field: 'user.userId' });
  });

  it("keeps apps apart: another app's key is refused, the admin token reaches only apps that exist", async () => {
    const other = await createTestApp(herald, 'other');
    expect((await put('e1', { channelType: 'CUSTOM', address: 'x' }, other.headers)).statusCode).toBe(403);
    expect((await put('e1', { channelType: 'CUSTOM', address: 'x' }, adminHeaders)).statusCode).toBe(201);
    const missing = await herald.server.inject({
      method: 'PUT',
      url: '/v1/apps/no-such-app/endpoints/e1',
      headers: adminHeaders,
      payload: { channelType: 'CUSTOM', address: 'x' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'HERALD_NOT_FOUND', field: 'appId' });
    expect(
      (await herald.server.inject({ method: 'GET', url: `/v1/apps/${app.appId}/endpoints` })).statusCode,
    ).toBe(401);
  });

  it('documents every endpoint route in the OpenAPI document', async () => {
    const doc = (await herald.server.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths['/v1/apps/{appId}/endpoints/{endpointId}']).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    expect(Object.keys(doc.paths['/v1/apps/{appId}/endpoints']).sort()).toEqual(['get', 'put']);
    expect(Object.keys(doc.paths['/v1/apps/{appId}/users/{userId}']).sort()).toEqual(['delete', 'get']);
    expect(doc.paths['/v1/apps/{appId}/endpoints'].put.tags).toEqual(['endpoints']);
  });
});
