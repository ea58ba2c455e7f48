import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import type { EndpointInput } from '../../app/endpoints/endpoint-input.js';
import { putEndpoints } from '../../app/endpoints/put-endpoints.js';
import { CHANNEL_TYPES } from '../../domain/channel-type.js';
import { type ErrorDetail, HeraldError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import { requireAppAccess } from '../auth.js';
import { toHeraldError } from '../error-handler.js';
import type { RouteModule } from '../herald-fastify.js';
import { afterIdFrom, pageById } from '../pagination.js';
import { appIdParams, errorResponses, pageOf, paginationQuery, security } from '../schemas/common.js';
import { endpointBatchBody, endpointBody, endpointJson, toEndpointJson } from '../schemas/endpoint.js';

export interface EndpointRoutesDeps {
  readonly endpoints: EndpointStore;
  readonly clock: Clock;
}

const idParam = z.string().min(1).max(256);
const endpointParams = appIdParams.extend({ endpointId: idParam });
const userParams = appIdParams.extend({ userId: idParam });
const tags = ['endpoints'];

/**
 * Endpoints (Pinpoint's UpdateEndpoint, UpdateEndpointsBatch, GetEndpoint, DeleteEndpoint, GetUserEndpoints,
 * DeleteUserEndpoints) and a filtered list.
 */
export function endpointRoutes(deps: EndpointRoutesDeps): RouteModule {
  return (app) => {
    app.put(
      '/v1/apps/:appId/endpoints/:endpointId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Create or update an endpoint',
          description:
            'Fields given replace the stored ones; `location` and `demographic` merge field by field; `attributes`, `metrics` and `user.userAttributes` merge name by name (an empty list or null removes a name). Answers 201 when the endpoint is new.',
          security,
          params: endpointParams,
          body: endpointBody,
          response: { 200: endpointJson, 201: endpointJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { appId, endpointId } = request.params;
        const { written, at } = await putEndpoints(
          deps,
          appId,
          [{ ...request.body, id: endpointId }],
          'single',
        );
        const endpoint = written[0];
        if (!endpoint) throw new Error('the endpoint was not written');
        reply.code(endpoint.createdAt === at ? 201 : 200);
        return toEndpointJson(endpoint);
      },
    );

    app.put(
      '/v1/apps/:appId/endpoints',
      {
        onRequest: requireAppAccess,
        attachValidation: true,
        schema: {
          tags,
          summary: 'Create or update up to 100 endpoints at once',
          description:
            'The batch is validated as a whole: if any item is bad, nothing is written and `HERALD_BATCH_INVALID` lists the index, field and reason of every problem (problems of shape first; addresses and quotas are checked once the shape is right).',
          security,
          params: appIdParams,
          body: endpointBatchBody,
          response: {
            200: z.object({ items: z.array(endpointJson) }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        if (request.validationError) throw batchShapeError(request.validationError);
        const { appId } = request.params;
        const { written } = await putEndpoints(deps, appId, request.body.items as EndpointInput[], 'batch');
        return { items: written.map(toEndpointJson) };
      },
    );

    app.get(
      '/v1/apps/:appId/endpoints/:endpointId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Get an endpoint',
          security,
          params: endpointParams,
          response: { 200: endpointJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, endpointId } = request.params;
        const endpoint = await deps.endpoints.get(appId, endpointId);
        if (!endpoint) throw endpointNotFound(endpointId);
        return toEndpointJson(endpoint);
      },
    );

    app.delete(
      '/v1/apps/:appId/endpoints/:endpointId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Delete an endpoint',
          security,
          params: endpointParams,
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { appId, endpointId } = request.params;
        const deleted = await deps.endpoints.delete(appId, endpointId);
        if (!deleted) throw endpointNotFound(endpointId);
        reply.code(204);
        return null;
      },
    );

    app.get(
      '/v1/apps/:appId/endpoints',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'List endpoints, filtered',
          description:
            'In id order. `address` matches as given and, when it reads as a phone number, in E.164 as well.',
          security,
          params: appIdParams,
          querystring: z.strictObject({
            ...paginationQuery,
            channelType: z.enum(CHANNEL_TYPES).optional(),
            address: z.string().min(1).max(256).optional(),
            userId: idParam.optional(),
            optOut: z.enum(['NONE', 'ALL']).optional(),
          }),
          response: { 200: pageOf(endpointJson), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId } = request.params;
        const { limit, cursor, channelType, address, userId, optOut } = request.query;
        const rows = await deps.endpoints.list(
          appId,
          {
            ...(channelType ? { channelType } : {}),
            ...(address ? { addresses: addressForms(address) } : {}),
            ...(userId ? { userId } : {}),
            ...(optOut ? { optOut } : {}),
          },
          { limit: limit + 1, ...afterIdFrom(cursor) },
        );
        return pageById(rows, limit, toEndpointJson);
      },
    );

    app.get(
      '/v1/apps/:appId/users/:userId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: "Get a user's endpoints",
          security,
          params: userParams,
          response: {
            200: z.object({ items: z.array(endpointJson) }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { appId, userId } = request.params;
        const endpoints = await deps.endpoints.listByUser(appId, userId);
        if (endpoints.length === 0) throw userNotFound(userId);
        return { items: endpoints.map(toEndpointJson) };
      },
    );

    app.delete(
      '/v1/apps/:appId/users/:userId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: "Delete all of a user's endpoints",
          security,
          params: userParams,
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { appId, userId } = request.params;
        const deleted = await deps.endpoints.deleteByUser(appId, userId);
        if (deleted.length === 0) throw userNotFound(userId);
        reply.code(204);
        return null;
      },
    );
  };
}

function endpointNotFound(endpointId: string): HeraldError {
  return new HeraldError('HERALD_NOT_FOUND', `endpoint ${endpointId} does not exist`, {
    field: 'endpointId',
  });
}

function userNotFound(userId: string): HeraldError {
  return new HeraldError('HERALD_NOT_FOUND', `user ${userId} has no endpoints`, { field: 'userId' });
}

/** The address as given and, when it reads as a phone number, its E.164 form. */
function addressForms(address: string): string[] {
  const trimmed = address.trim();
  const forms = new Set([trimmed]);
  const phone = parsePhoneNumberFromString(trimmed.startsWith('+') ? trimmed : `+${trimmed}`);
  if (phone?.isValid()) forms.add(phone.number);
  return [...forms];
}

/** A batch body that fails its schema: problems inside items carry their index, as the batch's own problems do. */
function batchShapeError(error: Error): HeraldError {
  const standard = toHeraldError(error);
  const entries =
    (
      error as {
        validation?: {
          instancePath: string;
          keyword: string;
          message?: string;
          params: Record<string, unknown>;
        }[];
      }
    ).validation ?? [];
  const details: ErrorDetail[] = [];
  for (const entry of entries) {
    const match = /^\/items\/(\d+)(?:\/(.*))?$/.exec(entry.instancePath);
    if (!match) return standard;
    const index = Number(match[1]);
    const field = (match[2] ?? '').replaceAll('/', '.');
    if (entry.keyword === 'unrecognized_keys') {
      const keys = Array.isArray(entry.params.keys) ? (entry.params.keys as string[]) : [];
      for (const key of keys)
        details.push({ index, field: field ? `${field}.${key}` : key, reason: 'unknown field' });
    } else details.push({ index, field: field || '(item)', reason: entry.message ?? entry.keyword });
  }
  const first = details[0];
  if (!first) return standard;
  return new HeraldError('HERALD_BATCH_INVALID', `items[${first.index}].${first.field}: ${first.reason}`, {
    field: `items[${first.index}].${first.field}`,
    details,
  });
}
