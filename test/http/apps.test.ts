import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { adminHeaders, createTestApp, createTestHerald } from '../helpers/test-herald.js';

describeEachDatabase('apps and API keys over HTTP', (db) => {
  let herald: Herald;
  beforeEach(async () => {
    herald = await createTestHerald(db());
  });
  afterEach(() => herald.stop());

  it('creates an app with the admin token and shows its key once', async () => {
    const created = await herald.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: adminHeaders,
      payload: { name: 'shop' },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ name: 'shop' });
    expect(body.apiKey).toMatch(/^hk_[0-9a-z]{26}_/);

    const list = await herald.server.inject({ method: 'GET', url: '/v1/apps', headers: adminHeaders });
    expect(list.json().items).toEqual([{ id: body.id, name: 'shop', createdAt: body.createdAt }]);
    expect(list.body).not.toContain(body.apiKey);

    const keys = await herald.server.inject({
      method: 'GET',
      url: `/v1/apps/${body.id}/keys`,
      headers: adminHeaders,
    });
    expect(keys.json().items).toHaveLength(1);
    expect(keys.json().items[0].hint).toBe(body.apiKey.slice(-4));
    expect(keys.body).not.toContain(body.apiKey.slice('hk_'.length + 27));
  });

  it('answers 401 without a key or with a wrong one, and 403 for another app or admin routes', async () => {
    const a = await createTestApp(herald, 'a');
    const b = await createTestApp(herald, 'b');
    const noKey = await herald.server.inject({ method: 'GET', url: `/v1/apps/${a.appId}/keys` });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json().error.code).toBe('HERALD_UNAUTHENTICATED');

    const wrong = await herald.server.inject({
      method: 'GET',
      url: `/v1/apps/${a.appId}/keys`,
      headers: { authorization: `Bearer ${a.apiKey.slice(0, -2)}xx` },
    });
    expect(wrong.statusCode).toBe(401);

    const other = await herald.server.inject({
      method: 'GET',
      url: `/v1/apps/${a.appId}/keys`,
      headers: b.headers,
    });
    expect(other.statusCode).toBe(403);
    expect(other.json().error.code).toBe('HERALD_FORBIDDEN');

    const own = await herald.server.inject({
      method: 'GET',
      url: `/v1/apps/${a.appId}/keys`,
      headers: { 'x-api-key': a.apiKey },
    });
    expect(own.statusCode).toBe(200);

    const adminOnly = await herald.server.inject({ method: 'GET', url: '/v1/apps', headers: a.headers });
    expect(adminOnly.statusCode).toBe(403);
  });

  it('issues and revokes keys; a revoked key stops working at once', async () => {
    const a = await createTestApp(herald);
    const issued = await herald.server.inject({
      method: 'POST',
      url: `/v1/apps/${a.appId}/keys`,
      headers: a.headers,
      payload: { name: 'ci' },
    });
    expect(issued.statusCode).toBe(201);
    const { id, key } = issued.json();
    const withNew = { authorization: `Bearer ${key}` };
    expect(
      (await herald.server.inject({ method: 'GET', url: `/v1/apps/${a.appId}/keys`, headers: withNew }))
        .statusCode,
    ).toBe(200);

    const revoked = await herald.server.inject({
      method: 'DELETE',
      url: `/v1/apps/${a.appId}/keys/${id}`,
      headers: a.headers,
    });
    expect(revoked.statusCode).toBe(204);
    expect(
      (await herald.server.inject({ method: 'GET', url: `/v1/apps/${a.appId}/keys`, headers: withNew }))
        .statusCode,
    ).toBe(401);
    const again = await herald.server.inject({
      method: 'DELETE',
      url: `/v1/apps/${a.appId}/keys/${id}`,
      headers: a.headers,
    });
    expect(again.statusCode).toBe(404);
  });

  it('deletes an app with the admin token', async () => {
    const a = await createTestApp(herald);
    expect(
      (await herald.server.inject({ method: 'DELETE', url: `/v1/apps/${a.appId}`, headers: a.headers }))
        .statusCode,
    ).toBe(403);
    expect(
      (await herald.server.inject({ method: 'DELETE', url: `/v1/apps/${a.appId}`, headers: adminHeaders }))
        .statusCode,
    ).toBe(204);
    expect(
      (await herald.server.inject({ method: 'GET', url: `/v1/apps/${a.appId}`, headers: a.headers }))
        .statusCode,
    ).toBe(401);
    expect(
      (await herald.server.inject({ method: 'DELETE', url: `/v1/apps/${a.appId}`, headers: adminHeaders }))
        .statusCode,
    ).toBe(404);
  });

  it('rejects bad input with a code, a field and a reason', async () => {
    const unknown = await herald.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: adminHeaders,
      payload: { name: 'x', colour: 'red' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'HERALD_UNKNOWN_FIELD', field: 'colour' });

    const empty = await herald.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: adminHeaders,
      payload: { name: '' },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'name' });

    const malformed = await herald.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('HERALD_MALFORMED_BODY');

    const cursor = await herald.server.inject({
      method: 'GET',
      url: '/v1/apps?cursor=nonsense',
      headers: adminHeaders,
    });
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().error).toMatchObject({ code: 'HERALD_INVALID_CURSOR', field: 'cursor' });

    const limit = await herald.server.inject({
      method: 'GET',
      url: '/v1/apps?limit=0',
      headers: adminHeaders,
    });
    expect(limit.json().error).toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'limit' });

    const route = await herald.server.inject({ method: 'GET', url: '/v1/nothing', headers: adminHeaders });
    expect(route.statusCode).toBe(404);
    expect(route.json().error.code).toBe('HERALD_NOT_FOUND');
  });

  it('answers 413 for a body over the configured limit', async () => {
    await herald.stop();
    herald = await createTestHerald(db(), { env: { HERALD_BODY_LIMIT: '1024' } });
    const big = await herald.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: adminHeaders,
      payload: { name: 'x'.repeat(4000) },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('HERALD_PAYLOAD_TOO_LARGE');
  });

  it('pages apps with a cursor', async () => {
    for (const name of ['a', 'b', 'c']) await createTestApp(herald, name);
    const first = await herald.server.inject({
      method: 'GET',
      url: '/v1/apps?limit=2',
      headers: adminHeaders,
    });
    expect(first.json().items.map((a: { name: string }) => a.name)).toEqual(['a', 'b']);
    const next = first.json().nextCursor;
    expect(next).toEqual(expect.any(String));
    const second = await herald.server.inject({
      method: 'GET',
      url: `/v1/apps?limit=2&cursor=${next}`,
      headers: adminHeaders,
    });
    expect(second.json()).toEqual({ items: [expect.objectContaining({ name: 'c' })], nextCursor: null });
  });

  it('answers every request, errors included, with its request id: the caller’s own or a new one', async () => {
    const given = await herald.server.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(given.headers['x-request-id']).toBe('trace-42');
    const fresh = await herald.server.inject({ method: 'GET', url: '/v1/apps' });
    expect(fresh.statusCode).toBe(401);
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unknown = await herald.server.inject({ method: 'GET', url: '/nowhere' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('serves health, readiness, the OpenAPI document and the reference page', async () => {
    expect((await herald.server.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await herald.server.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
      status: 'ready',
    });
    const doc = (await herald.server.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/apps', '/v1/apps/{appId}/keys', '/v1/apps/{appId}/keys/{keyId}']),
    );
    const docs = await herald.server.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });
});
