import { z } from 'zod';
import type { Authenticator } from '../../app/apps/authenticator.js';
import { type CreateAppDeps, createApp } from '../../app/apps/create-app.js';
import { issueApiKey } from '../../app/apps/issue-api-key.js';
import type { ApiKey, App } from '../../domain/app.js';
import { HeraldError } from '../../domain/errors.js';
import { requireAdmin, requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { afterIdFrom, pageById } from '../pagination.js';
import {
  appIdParams,
  errorResponses,
  pageOf,
  paginationQuery,
  security,
  timestamp,
  toIso,
} from '../schemas/common.js';

export interface AppRoutesDeps extends CreateAppDeps {
  readonly authenticator: Authenticator;
}

const appSchema = z.object({ id: z.string(), name: z.string(), createdAt: timestamp }).meta({ id: 'App' });
const keySchema = z
  .object({ id: z.string(), appId: z.string(), name: z.string(), hint: z.string(), createdAt: timestamp })
  .meta({
    id: 'ApiKey',
    description: 'An API key as listed: never the secret, only its last four characters.',
  });
const nameBody = z.strictObject({ name: z.string().trim().min(1).max(128) });

export function appRoutes(deps: AppRoutesDeps): RouteModule {
  return (app) => {
    app.post(
      '/v1/apps',
      {
        onRequest: requireAdmin,
        schema: {
          tags: ['apps'],
          summary: 'Create an app (admin token); its first API key is returned once',
          security,
          body: nameBody,
          response: { 201: appSchema.extend({ apiKey: z.string() }), ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const created = await createApp(deps, { name: request.body.name });
        reply.code(201);
        return { ...appJson(created), apiKey: created.apiKey };
      },
    );

    app.get(
      '/v1/apps',
      {
        onRequest: requireAdmin,
        schema: {
          tags: ['apps'],
          summary: 'List apps (admin token)',
          security,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(appSchema), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const rows = await deps.apps.listApps({ limit: limit + 1, ...afterIdFrom(cursor) });
        return pageById(rows, limit, appJson);
      },
    );

    app.get(
      '/v1/apps/:appId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['apps'],
          summary: 'Get an app',
          security,
          params: appIdParams,
          response: { 200: appSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => appJson(await mustFindApp(deps, request.params.appId)),
    );

    app.delete(
      '/v1/apps/:appId',
      {
        onRequest: requireAdmin,
        schema: {
          tags: ['apps'],
          summary: 'Delete an app and everything it owns (admin token)',
          security,
          params: appIdParams,
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const deleted = await deps.apps.deleteApp(request.params.appId);
        if (!deleted) throw notFound(request.params.appId);
        deps.authenticator.forget({ appId: request.params.appId });
        reply.code(204);
        return null;
      },
    );

    app.post(
      '/v1/apps/:appId/keys',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['apps'],
          summary: 'Create an API key; the key is returned once',
          security,
          params: appIdParams,
          body: nameBody,
          response: { 201: keySchema.extend({ key: z.string() }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const key = await issueApiKey(deps, { appId: request.params.appId, name: request.body.name });
        reply.code(201);
        return { ...keyJson(key), key: key.key };
      },
    );

    app.get(
      '/v1/apps/:appId/keys',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['apps'],
          summary: "List an app's API keys (never the secrets)",
          security,
          params: appIdParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(keySchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const rows = await deps.apps.listKeys(request.params.appId, {
          limit: limit + 1,
          ...afterIdFrom(cursor),
        });
        return pageById(rows, limit, keyJson);
      },
    );

    app.delete(
      '/v1/apps/:appId/keys/:keyId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['apps'],
          summary: 'Revoke an API key',
          security,
          params: appIdParams.extend({ keyId: z.string().min(1).max(64) }),
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { appId, keyId } = request.params;
        const deleted = await deps.apps.deleteKey(appId, keyId);
        if (!deleted)
          throw new HeraldError('HERALD_NOT_FOUND', `key ${keyId} does not exist`, { field: 'keyId' });
        deps.authenticator.forget({ keyId });
        reply.code(204);
        return null;
      },
    );
  };
}

async function mustFindApp(deps: AppRoutesDeps, appId: string): Promise<App> {
  const found = await deps.apps.getApp(appId);
  if (!found) throw notFound(appId);
  return found;
}

function notFound(appId: string): HeraldError {
  return new HeraldError('HERALD_NOT_FOUND', `app ${appId} does not exist`, { field: 'appId' });
}

function appJson(app: App) {
  return { id: app.id, name: app.name, createdAt: toIso(app.createdAt) };
}

function keyJson(key: ApiKey) {
  return { id: key.id, appId: key.appId, name: key.name, hint: key.hint, createdAt: toIso(key.createdAt) };
}
