import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { adminHeaders, createTestApp, createTestHerald } from '../helpers/test-herald.js';

// Bodies a confused or hostile client sends: not JSON, JSON of the wrong kind, the right kind with wrong types.
const BODIES = [
  '{',
  'null',
  '[]',
  '"text"',
  '42',
  '{"unknownField": 1}',
  JSON.stringify({ name: 7, id: [], channelType: {}, to: 12, text: false, items: 'x', segmentId: null }),
  JSON.stringify({ items: [null, 1, 'x', { id: {} }] }),
  JSON.stringify({ name: 'x'.repeat(100_000) }),
  JSON.stringify(nested(200)),
  // Deep enough to exhaust a recursive walk's stack.
  `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
  '['.repeat(20_000) + ']'.repeat(20_000),
  // PostgreSQL cannot store U+0000 in text.
  JSON.stringify({ name: 'a\u0000b', items: [{ id: 'e\u0000', address: '+1425\u0000' }], text: '\u0000' }),
];

// Path parameters a client may get wrong.
const IDS = ['x', '%00', 'a%00b', '..%2F..', 'ü'.repeat(300), "'; drop table apps; --"];

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

/**
 * Bad input is a 4xx with a stable code, on every route of the API: never a 500, never a request that hangs.
 * Every route of the registry is tried with every body and path parameter above, with a valid app key.
 */
describeEachDatabase(
  'bad input on every route',
  (db) => {
    let herald: Herald;
    let app: { appId: string; headers: Record<string, string> };
    beforeEach(async () => {
      herald = await createTestHerald(db());
      app = await createTestApp(herald);
    });
    afterEach(() => herald.stop());

    it('takes an empty JSON body as no body, refuses text/plain as a media type, and keeps refusing __proto__', async () => {
      const call = (method: 'POST' | 'PUT' | 'DELETE', url: string, contentType: string, payload: string) =>
        herald.server.inject({
          method,
          url: `/v1/apps/${app.appId}${url}`,
          headers: { ...app.headers, 'content-type': contentType },
          payload,
        });
      const endpoint = { channelType: 'SMS', address: '+16505551234' };
      expect(
        (await call('PUT', '/endpoints/e1', 'application/json', JSON.stringify(endpoint))).statusCode,
      ).toBe(201);
      // Clients that add the header to every request, DELETE included.
      expect((await call('DELETE', '/endpoints/e1', 'application/json', '')).statusCode).toBe(204);
      const empty = await call('POST', '/messages', 'application/json', '');
      expect(empty.statusCode).toBe(400);
      expect(empty.json().error.code).toBe('HERALD_VALIDATION_FAILED');
      // A route that takes no query string refuses one (an unpaged list ignored ?limit=1).
      const paged = await herald.server.inject({
        method: 'GET',
        url: `/v1/apps/${app.appId}/delivery-settings?limit=1`,
        headers: app.headers,
      });
      expect(paged.statusCode).toBe(400);
      expect(paged.json().error).toMatchObject({ code: 'HERALD_UNKNOWN_FIELD' });
      const text = await call('PUT', '/endpoints/e2', 'text/plain', JSON.stringify(endpoint));
      expect(text.statusCode).toBe(415);
      expect(text.json().error.code).toBe('HERALD_UNSUPPORTED_MEDIA_TYPE');
      const poisoned = await call(
        'PUT',
        '/endpoints/e3',
        'application/json',
        '{"channelType":"SMS","address":"+16505551234","__proto__":{"x":1}}',
      );
      expect(poisoned.statusCode).toBe(400);
      expect(poisoned.json().error.code).toBe('HERALD_MALFORMED_BODY');
    });

    it('answers every malformed request with a 4xx and an error code', async () => {
      const routes = herald.server.heraldRoutes.filter(
        (r) => !r.hidden && r.url.startsWith('/v1/') && !r.url.endsWith('/events/stream'),
      );
      expect(routes.length).toBeGreaterThan(40);
      const wrong: string[] = [];
      for (const route of routes) {
        const headers = route.url.startsWith('/v1/apps/:appId') ? app.headers : adminHeaders;
        for (const id of IDS) {
          const url = route.url.replace(':appId', app.appId).replace(/:[A-Za-z]+/g, id);
          const withBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
          for (const body of withBody ? BODIES : [undefined]) {
            const response = await herald.server.inject({
              method: route.method as 'GET',
              url,
              headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
              ...(body === undefined ? {} : { payload: body }),
            });
            const code = response.statusCode >= 400 ? response.json().error?.code : 'ok';
            if (response.statusCode >= 500 || typeof code !== 'string')
              wrong.push(
                `${route.method} ${url.slice(0, 80)} ${body?.slice(0, 40)}: ${response.statusCode} ${response.body.slice(0, 160)}`,
              );
          }
        }
      }
      expect(wrong).toEqual([]);
    });
  },
  { scope: 'suite' },
);
