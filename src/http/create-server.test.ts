import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { Authenticator } from '../app/apps/authenticator.js';
import type { AppStore } from '../ports/app-store.js';
import { createLogger } from '../runtime/create-logger.js';
import { systemClock } from '../runtime/system-clock.js';
import { createServer } from './create-server.js';
import type { HeraldFastify } from './herald-fastify.js';

const unused = () => Promise.reject(new Error('no app store in this test'));
const noApps: AppStore = {
  createApp: unused,
  getApp: unused,
  listApps: unused,
  deleteApp: unused,
  createKey: unused,
  listKeys: unused,
  deleteKey: unused,
  findKey: unused,
};

let server: HeraldFastify | undefined;
afterEach(() => server?.close());

it('declares 500 on every documented route (413 and 415 where a body is read) and answers them in the Error shape', async () => {
  server = await createServer({
    logger: createLogger({ level: 'silent' }),
    authenticator: new Authenticator({ apps: noApps, clock: systemClock, adminToken: 'unused-admin-token' }),
    bodyLimitBytes: 1024,
    publicUrl: 'http://127.0.0.1',
    version: '0.0.0',
    routes: [
      (app) => {
        // A route that declares no error at all, as a new one might.
        app.get(
          '/fails',
          { schema: { summary: 'Fails', response: { 200: z.object({ ok: z.boolean() }) } } },
          async () => {
            throw new Error('the database went away');
          },
        );
        app.post('/takes', { schema: { summary: 'Takes a body' } }, async () => ({}));
      },
    ],
  });

  const failed = await server.inject({ method: 'GET', url: '/fails' });
  expect([failed.statusCode, failed.headers['content-type']]).toEqual([
    500,
    'application/json; charset=utf-8',
  ]);
  expect(failed.json()).toEqual({ error: { code: 'HERALD_INTERNAL', message: 'internal error' } });

  const doc = (await server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
  };
  expect(doc.paths['/fails']?.get?.responses['500']?.content).toEqual({
    'application/json': { schema: { $ref: '#/components/schemas/Error' } },
  });
  // Only a route that reads a body can refuse one.
  expect(Object.keys(doc.paths['/fails']?.get?.responses ?? {})).toEqual(['200', '500']);
  expect(Object.keys(doc.paths['/takes']?.post?.responses ?? {})).toEqual(['413', '415', '500']);
  const refused = await server.inject({
    method: 'POST',
    url: '/takes',
    headers: { 'content-type': 'text/plain' },
    payload: 'hello',
  });
  expect([refused.statusCode, refused.json()]).toEqual([
    415,
    { error: { code: 'HERALD_UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) } },
  ]);
});
