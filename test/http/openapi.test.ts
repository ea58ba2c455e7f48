import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestHerald } from '../helpers/test-herald.js';

/** Every route of Herald's own API is in the OpenAPI document, with its method. */
describeEachDatabase(
  'the OpenAPI document',
  (db) => {
    let herald: Herald;
    beforeEach(async () => {
      herald = await createTestHerald(db(), { sandbox: true });
    });
    afterEach(() => herald.stop());

    it('documents every route but the sandbox and the reference pages', async () => {
      const doc = (await herald.server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
        paths: Record<string, Record<string, unknown>>;
      };
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
          expect((operation as { summary?: string }).summary, `${method} ${path} has no summary`).toEqual(
            expect.any(String),
          );
        }
      }
    });
  },
  { scope: 'suite' },
);
