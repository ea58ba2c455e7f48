import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { adminHeaders, createTestApp, createTestHerald } from '../helpers/test-herald.js';

interface Operation {
  summary?: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

/** Every route of Herald's own API is in the OpenAPI document, with its method. */
describeEachDatabase(
  'the OpenAPI document',
  (db) => {
    let herald: Herald;
    beforeEach(async () => {
      herald = await createTestHerald(db(), { sandbox: true });
    });
    afterEach(() => herald.stop());

    const document = async () =>
      (await herald.server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
        paths: Record<string, Record<string, Operation>>;
      };

    it('documents every route but the sandbox and the reference pages', async () => {
      const doc = await document();
      const missing = herald.server.heraldRoutes
        .filter((r) => !r.hidden && !r.url.startsWith('/sandbox') && !r.url.startsWith('/docs'))
        .filter((r) => {
          const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
          return doc.paths[path]?.[r.method.toLowerCase()] === undefined;
        })
        .map((r) => `${r.method} ${r.url}`);
      expect(missing).toEqual([]);
      expect(Object.keys(doc.paths).length).toBeGreaterThan(40);
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          expect(operation.summary, `${method} ${path} has no summary`).toEqual(expect.any(String));
        }
      }
    });

    it('declares every error status a route gives to an unknown app or id, no credential, another app or a query', async () => {
      // Routes that could answer 404 (the admin token naming an app that does not exist, an unknown id) did not say
      // so, and clients generated from the document had no type for it.
      const doc = await document();
      const app = await createTestApp(herald);
      const other = await createTestApp(herald, 'other');
      const undeclared: string[] = [];
      for (const route of herald.server.heraldRoutes) {
        if (route.hidden || route.url.startsWith('/sandbox') || route.url.startsWith('/docs')) continue;
        const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
        const operation = doc.paths[path]?.[route.method.toLowerCase()];
        if (!operation) continue; // the test above reports it
        // An open event stream never ends: only the probes refused before it opens are sent to it. Unknown ids only
        // where the path has ids besides the app's (DELETE /v1/apps/{appId} with the admin token would delete it);
        // a query a route does not take is refused before its handler runs.
        const streams = route.url.endsWith('/events/stream');
        const ids = route.url.replace(':appId', '').includes(':');
        const probes: { why: string; appId: string; headers: Record<string, string>; query?: string }[] = [
          { why: 'no credential', appId: app.appId, headers: {} },
          { why: 'an unknown app, admin token', appId: 'no-such-app', headers: adminHeaders },
          { why: "another app's key", appId: app.appId, headers: other.headers },
          ...(streams
            ? []
            : [
                { why: 'an unknown query parameter', appId: app.appId, headers: app.headers, query: '?zz=1' },
              ]),
          ...(ids
            ? [
                { why: 'unknown ids', appId: app.appId, headers: app.headers },
                { why: 'unknown ids, admin token', appId: app.appId, headers: adminHeaders },
              ]
            : []),
        ];
        for (const probe of probes) {
          const url = route.url.replace(':appId', probe.appId).replace(/:[A-Za-z]+/g, 'no-such-id');
          const response = await herald.server.inject({
            method: route.method as 'GET',
            url: `${url}${probe.query ?? ''}`,
            headers: probe.headers,
          });
          if (response.statusCode >= 400 && operation.responses[response.statusCode] === undefined)
            undeclared.push(`${route.method} ${path} (${probe.why}): ${response.statusCode}`);
        }
      }
      expect(undeclared).toEqual([]);

      // And as a rule, for the routes to come: every API route checks its path and query (400) and its credential
      // (401, 403), and every route of an app answers 404 to the admin token naming an app that does not exist.
      const unruled: string[] = [];
      for (const [path, methods] of Object.entries(doc.paths)) {
        if (!path.startsWith('/v1/')) continue;
        for (const [method, operation] of Object.entries(methods)) {
          const statuses = path.startsWith('/v1/apps/{appId}') ? [400, 401, 403, 404] : [400, 401, 403];
          for (const status of statuses)
            if (operation.responses[status] === undefined) unruled.push(`${method} ${path}: ${status}`);
        }
      }
      expect(unruled).toEqual([]);
    });

    it('gives the event stream’s 200 as text/event-stream and its errors as JSON', async () => {
      const stream = (await document()).paths['/v1/apps/{appId}/events/stream']?.get;
      expect(Object.keys(stream?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
      expect(Object.keys(stream?.responses['404']?.content ?? {})).toEqual(['application/json']);
    });
  },
  { scope: 'suite' },
);
