import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

describeEachDatabase('segments over HTTP', (db) => {
  let herald: Herald;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  beforeEach(async () => {
    herald = await createTestHerald(db());
    app = await createTestApp(herald);
    const items = [
      {
        id: 'e1',
        channelType: 'WHATSAPP',
        address: '+16505550001',
        location: { country: 'US' },
        attributes: { Interests: ['Music'] },
      },
      {
        id: 'e2',
        channelType: 'WHATSAPP',
        address: '+16505550002',
        location: { country: 'US' },
        attributes: { Interests: ['Travel'] },
      },
      {
        id: 'e3',
        channelType: 'SMS',
        address: '+16505550003',
        location: { country: 'US' },
        attributes: { Interests: ['Music'] },
      },
      {
        id: 'e4',
        channelType: 'WHATSAPP',
        address: '+16505550004',
        location: { country: 'CA' },
        attributes: { Interests: ['Music'] },
      },
      {
        id: 'e5',
        channelType: 'WHATSAPP',
        address: '+16505550005',
        location: { country: 'US' },
        optOut: 'ALL',
      },
      {
        id: 'e6',
        channelType: 'WHATSAPP',
        address: '+16505550006',
        location: { country: 'US' },
        endpointStatus: 'INACTIVE',
      },
    ];
    const put = await request('PUT', '/endpoints', { items });
    expect(put.statusCode, put.body).toBe(200);
  });
  afterEach(() => herald.stop());

  const request = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    herald.server.inject({
      method,
      url: `/v1/apps/${app.appId}${url}`,
      headers: app.headers,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  const whatsappInUs = {
    demographic: { channel: { dimensionType: 'INCLUSIVE', values: ['WHATSAPP'] } },
    location: { country: { values: ['US'] } },
  };

  it('creates, estimates, previews, versions and deletes a segment', async () => {
    const created = await request('POST', '/segments', {
      name: 'WhatsApp in the US',
      dimensions: whatsappInUs,
    });
    expect(created.statusCode, created.body).toBe(201);
    const segment = created.json();
    expect(segment).toMatchObject({
      name: 'WhatsApp in the US',
      version: 1,
      segmentType: 'DIMENSIONAL',
      dimensions: { location: { country: { dimensionType: 'INCLUSIVE', values: ['US'] } } },
    });
    const id = segment.id as string;
    expect((await request('GET', `/segments/${id}`)).json()).toEqual(segment);

    expect((await request('GET', `/segments/${id}/estimate`)).json()).toEqual({ count: 2 });
    expect((await request('GET', `/segments/${id}/estimate?includeOptedOut=true`)).json()).toEqual({
      count: 3,
    });
    expect(
      (await request('GET', `/segments/${id}/estimate?includeOptedOut=true&includeInactive=true`)).json(),
    ).toEqual({
      count: 4,
    });
    const preview = await request('GET', `/segments/${id}/endpoints?limit=1`);
    expect(preview.json().items.map((e: { id: string }) => e.id)).toEqual(['e1']);
    const next = await request(
      'GET',
      `/segments/${id}/endpoints?limit=1&cursor=${preview.json().nextCursor}`,
    );
    expect(next.json()).toMatchObject({ items: [{ id: 'e2', address: '+16505550002' }], nextCursor: null });

    const updated = await request('PUT', `/segments/${id}`, {
      dimensions: {
        ...whatsappInUs,
        attributes: { Interests: { attributeType: 'INCLUSIVE', values: ['Music'] } },
      },
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ version: 2, name: 'WhatsApp in the US' });
    expect((await request('GET', `/segments/${id}/estimate`)).json()).toEqual({ count: 1 });
    expect((await request('GET', `/segments/${id}/estimate?version=1`)).json()).toEqual({ count: 2 });
    expect((await request('GET', `/segments/${id}?version=1`)).json().version).toBe(1);
    expect(
      (await request('GET', `/segments/${id}/versions`))
        .json()
        .items.map((s: { version: number }) => s.version),
    ).toEqual([2, 1]);

    const renamed = await request('PUT', `/segments/${id}`, { name: 'Music fans' });
    expect(renamed.json()).toMatchObject({
      version: 3,
      name: 'Music fans',
      dimensions: { attributes: { Interests: {} } },
    });
    const list = await request('GET', '/segments');
    expect(list.json().items.map((s: { id: string; version: number }) => [s.id, s.version])).toEqual([
      [id, 3],
    ]);

    expect((await request('DELETE', `/segments/${id}`)).statusCode).toBe(204);
    expect((await request('GET', `/segments/${id}`)).statusCode).toBe(404);
  });

  it('builds on source segments and refuses to delete a segment another builds on', async () => {
    const base = (
      await request('POST', '/segments', {
        name: 'US',
        dimensions: { location: { country: { values: ['US'] } } },
      })
    ).json();
    const derived = await request('POST', '/segments', {
      name: 'US music fans on WhatsApp',
      segmentGroups: {
        include: 'ALL',
        groups: [
          {
            sourceSegments: [{ id: base.id, version: 1 }],
            type: 'ALL',
            dimensions: [
              { attributes: { Interests: { values: ['Music'] } } },
              { demographic: { channel: { values: ['WHATSAPP'] } } },
            ],
          },
        ],
      },
    });
    expect(derived.statusCode, derived.body).toBe(201);
    expect(derived.json().segmentGroups.groups[0]).toMatchObject({ sourceType: 'ANY', type: 'ALL' });
    expect((await request('GET', `/segments/${derived.json().id}/estimate`)).json()).toEqual({ count: 1 });

    const refused = await request('DELETE', `/segments/${base.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('HERALD_CONFLICT');

    const cycle = await request('PUT', `/segments/${base.id}`, {
      segmentGroups: { groups: [{ sourceSegments: [{ id: derived.json().id }] }] },
    });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error).toMatchObject({
      code: 'HERALD_VALIDATION_FAILED',
      field: 'segmentGroups.groups[0].sourceSegments[0].id',
    });
  });

  it('answers bad definitions with the field at fault', async () => {
    const cases: [unknown, string, string][] = [
      [{ dimensions: {} }, 'HERALD_VALIDATION_FAILED', 'name'],
      [
        { name: 'x', dimensions: { demographic: { deviceType: { values: ['PHONE'] } } } },
        'HERALD_UNKNOWN_FIELD',
        'dimensions.demographic.deviceType',
      ],
      [
        { name: 'x', dimensions: { demographic: { channel: { values: ['PIGEON'] } } } },
        'HERALD_VALIDATION_FAILED',
        'dimensions.demographic.channel.values[0]',
      ],
      [
        { name: 'x', dimensions: { location: { country: { values: [] } } } },
        'HERALD_VALIDATION_FAILED',
        'dimensions.location.country.values',
      ],
      [
        { name: 'x', dimensions: { location: { country: { dimensionType: 'MAYBE', values: ['US'] } } } },
        'HERALD_VALIDATION_FAILED',
        'dimensions.location.country.dimensionType',
      ],
      [
        {
          name: 'x',
          dimensions: {
            location: { gpsPoint: { coordinates: { latitude: 95, longitude: 0 }, rangeInKilometers: 5 } },
          },
        },
        'HERALD_VALIDATION_FAILED',
        'dimensions.location.gpsPoint.coordinates.latitude',
      ],
      [
        {
          name: 'x',
          dimensions: {
            location: { gpsPoint: { coordinates: { latitude: 5, longitude: 0 }, rangeInKilometers: -1 } },
          },
        },
        'HERALD_VALIDATION_FAILED',
        'dimensions.location.gpsPoint.rangeInKilometers',
      ],
      [
        {
          name: 'x',
          dimensions: { attributes: { d: { attributeType: 'BETWEEN', values: ['2026-01-01'] } } },
        },
        'HERALD_VALIDATION_FAILED',
        'dimensions.attributes.d.values',
      ],
      [
        { name: 'x', dimensions: { attributes: { d: { attributeType: 'BEFORE', values: ['soon'] } } } },
        'HERALD_VALIDATION_FAILED',
        'dimensions.attributes.d.values[0]',
      ],
      [
        {
          name: 'x',
          dimensions: {
            attributes: { d: { attributeType: 'BETWEEN', values: ['2026-02-01', '2026-01-01'] } },
          },
        },
        'HERALD_VALIDATION_FAILED',
        'dimensions.attributes.d.values',
      ],
      [
        { name: 'x', dimensions: { attributes: { d: { attributeType: 'SOMETIMES', values: ['x'] } } } },
        'HERALD_VALIDATION_FAILED',
        'dimensions.attributes.d.attributeType',
      ],
      [
        { name: 'x', dimensions: { metrics: { m: { comparisonOperator: 'ABOUT', value: 1 } } } },
        'HERALD_VALIDATION_FAILED',
        'dimensions.metrics.m.comparisonOperator',
      ],
      [
        { name: 'x', dimensions: { behavior: { recency: { duration: 'DAY_3', recencyType: 'ACTIVE' } } } },
        'HERALD_VALIDATION_FAILED',
        'dimensions.behavior.recency.duration',
      ],
      [
        { name: 'x', segmentGroups: { include: 'ALL', groups: [] } },
        'HERALD_VALIDATION_FAILED',
        'segmentGroups.groups',
      ],
      [
        { name: 'x', segmentGroups: { groups: [{ sourceSegments: [{ id: 'nope' }] }] } },
        'HERALD_VALIDATION_FAILED',
        'segmentGroups.groups[0].sourceSegments[0].id',
      ],
      [{ name: 'x', tags: {} }, 'HERALD_UNKNOWN_FIELD', 'tags'],
    ];
    for (const [payload, code, field] of cases) {
      const response = await request('POST', '/segments', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error, JSON.stringify(payload)).toMatchObject({ code, field });
    }
    const base = (await request('POST', '/segments', { name: 'base' })).json();
    const badVersion = await request('POST', '/segments', {
      name: 'x',
      segmentGroups: { groups: [{ sourceSegments: [{ id: base.id, version: 2 }] }] },
    });
    expect(badVersion.json().error).toMatchObject({
      field: 'segmentGroups.groups[0].sourceSegments[0].version',
    });
    expect((await request('GET', '/segments')).json().items).toHaveLength(1);
  });

  it('answers 404 for unknown segments and versions, 400 for bad queries', async () => {
    for (const [method, url] of [
      ['GET', '/segments/nope'],
      ['PUT', '/segments/nope'],
      ['DELETE', '/segments/nope'],
      ['GET', '/segments/nope/estimate'],
      ['GET', '/segments/nope/endpoints'],
      ['GET', '/segments/nope/versions'],
    ] as const) {
      const response = await request(method, url, method === 'PUT' ? { name: 'x' } : undefined);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json().error, `${method} ${url}`).toMatchObject({
        code: 'HERALD_NOT_FOUND',
        field: 'segmentId',
      });
    }
    const id = (await request('POST', '/segments', { name: 'all' })).json().id;
    expect((await request('GET', `/segments/${id}?version=4`)).json().error).toMatchObject({
      code: 'HERALD_NOT_FOUND',
      field: 'version',
    });
    expect((await request('GET', `/segments/${id}/estimate?version=4`)).json().error).toMatchObject({
      field: 'version',
    });
    for (const [query, field] of [
      ['?includeOptedOut=maybe', 'includeOptedOut'],
      ['?version=0', 'version'],
      ['?colour=red', 'colour'],
    ]) {
      const response = await request('GET', `/segments/${id}/estimate${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.field, query).toBe(field);
    }
    expect((await request('GET', `/segments/${id}/endpoints?cursor=bad`)).json().error.code).toBe(
      'HERALD_INVALID_CURSOR',
    );
    expect((await request('GET', `/segments/${id}/estimate`)).json()).toEqual({ count: 4 });
  });

  it('documents every segment route in the OpenAPI document', async () => {
    const doc = (await herald.server.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths['/v1/apps/{appId}/segments']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/apps/{appId}/segments/{segmentId}']).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    for (const path of ['estimate', 'endpoints', 'versions'])
      expect(doc.paths[`/v1/apps/{appId}/segments/{segmentId}/${path}`].get.tags).toEqual(['segments']);
  });
});
