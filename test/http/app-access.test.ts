import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { TEST_ADMIN_TOKEN as ADMIN_TOKEN, createTestHerald } from '../helpers/test-herald.js';

/**
 * Every route under `/v1/apps/{appId}` checks access before anything else: no credential is a 401 whatever the
 * body, another app's key a 403, and the admin token naming an app that does not exist a 404 (it was an empty list
 * on some routes and a 500 on writes that hit the app's foreign key).
 */
describeEachDatabase(
  'access to an app’s routes',
  (db) => {
    let herald: Herald;
    beforeEach(async () => {
      herald = await createTestHerald(db());
    });
    afterEach(() => herald.stop());

    const appRoutes = () => herald.server.heraldRoutes.filter((r) => r.url.startsWith('/v1/apps/:appId'));
    const request = (
      route: { method: string; url: string },
      appId: string,
      headers: Record<string, string>,
    ) => {
      const url = route.url.replace(':appId', appId).replace(/:[A-Za-z]+/g, 'x');
      const withBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
      return herald.server.inject({
        method: route.method as 'GET',
        url,
        headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { payload: '{"unknownField": 1}' } : {}),
      });
    };

    it('answers 404 to the admin token for an app that does not exist, on every route', async () => {
      const routes = appRoutes();
      expect(routes.length).toBeGreaterThan(40);
      const wrong: string[] = [];
      for (const route of routes) {
        const response = await request(route, 'no-such-app', { authorization: `Bearer ${ADMIN_TOKEN}` });
        const error = response.json().error;
        if (response.statusCode !== 404 || error?.code !== 'HERALD_NOT_FOUND' || error?.field !== 'appId')
          wrong.push(`${route.method} ${route.url}: ${response.statusCode} ${response.body.slice(0, 120)}`);
      }
      expect(wrong).toEqual([]);
    });

    it('answers 401 without a credential and 403 with another app’s key before it looks at the body', async () => {
      const created = await herald.server.inject({
        method: 'POST',
        url: '/v1/apps',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'other' },
      });
      const otherKey = created.json().apiKey as string;
      const wrong: string[] = [];
      for (const route of appRoutes()) {
        const anonymous = await request(route, 'some-app', {});
        if (anonymous.statusCode !== 401)
          wrong.push(`anonymous ${route.method} ${route.url}: ${anonymous.statusCode}`);
        const foreign = await request(route, 'some-app', { authorization: `Bearer ${otherKey}` });
        if (foreign.statusCode !== 403)
          wrong.push(`foreign key ${route.method} ${route.url}: ${foreign.statusCode}`);
      }
      expect(wrong).toEqual([]);
    });
  },
  { scope: 'suite' },
);
