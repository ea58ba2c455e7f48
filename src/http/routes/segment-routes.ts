import { z } from 'zod';
import {
  createSegment,
  deleteSegment,
  type SegmentDeps,
  segmentNotFound,
  updateSegment,
} from '../../app/segments/save-segment.js';
import { HeraldError } from '../../domain/errors.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { afterIdFrom, pageById } from '../pagination.js';
import { appIdParams, errorResponses, pageOf, paginationQuery, security } from '../schemas/common.js';
import { endpointJson, toEndpointJson } from '../schemas/endpoint.js';
import {
  createSegmentBody,
  segmentJson,
  toDefinition,
  toSegmentJson,
  updateSegmentBody,
} from '../schemas/segment.js';

export interface SegmentRoutesDeps extends SegmentDeps {}

const tags = ['segments'];
const segmentParams = appIdParams.extend({ segmentId: z.string().min(1).max(64) });
const versionQuery = z.coerce
  .number()
  .int()
  .positive()
  .optional()
  .describe('A version; the latest when left out.');
const flag = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();
const audienceQuery = {
  version: versionQuery,
  includeOptedOut: flag.describe('Count endpoints that opted out (default false).'),
  includeInactive: flag.describe('Count INACTIVE endpoints (default false).'),
};

/** Segments: versioned CRUD, estimate and a preview of the members. */
export function segmentRoutes(deps: SegmentRoutesDeps): RouteModule {
  return (app) => {
    app.post(
      '/v1/apps/:appId/segments',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Create a segment',
          description:
            "A filter over the app's endpoints: `dimensions` (Pinpoint's SegmentDimensions in camelCase), `segmentGroups`, both (ANDed), or neither (every endpoint). Evaluated in the database when used.",
          security,
          params: appIdParams,
          body: createSegmentBody,
          response: { 201: segmentJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { appId } = request.params;
        const segment = await createSegment(deps, appId, {
          name: request.body.name,
          ...toDefinition(request.body),
        });
        reply.code(201);
        return toSegmentJson(segment);
      },
    );

    app.get(
      '/v1/apps/:appId/segments',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'List segments (latest versions)',
          security,
          params: appIdParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(segmentJson), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId } = request.params;
        const { limit, cursor } = request.query;
        const rows = await deps.segments.list(appId, { limit: limit + 1, ...afterIdFrom(cursor) });
        return pageById(rows, limit, toSegmentJson);
      },
    );

    app.get(
      '/v1/apps/:appId/segments/:segmentId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Get a segment (a version with ?version=)',
          security,
          params: segmentParams,
          querystring: z.strictObject({ version: versionQuery }),
          response: { 200: segmentJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, segmentId } = request.params;
        const segment = await deps.segments.get(appId, segmentId, request.query.version);
        if (!segment) throw await missing(deps, appId, segmentId, request.query.version);
        return toSegmentJson(segment);
      },
    );

    app.get(
      '/v1/apps/:appId/segments/:segmentId/versions',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: "List a segment's versions, newest first",
          security,
          params: segmentParams,
          response: { 200: z.object({ items: z.array(segmentJson) }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, segmentId } = request.params;
        const versions = await deps.segments.listVersions(appId, segmentId);
        if (versions.length === 0) throw segmentNotFound(segmentId);
        return { items: versions.map(toSegmentJson) };
      },
    );

    app.put(
      '/v1/apps/:appId/segments/:segmentId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Update a segment: writes a new version',
          description:
            'The name is kept when left out. The definition becomes exactly the `dimensions` and `segmentGroups` given; give neither to keep it (a rename). An imported segment can only be renamed.',
          security,
          params: segmentParams,
          body: updateSegmentBody,
          response: { 200: segmentJson, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { appId, segmentId } = request.params;
        const segment = await updateSegment(deps, appId, segmentId, {
          ...(request.body.name !== undefined ? { name: request.body.name } : {}),
          ...toDefinition(request.body),
        });
        return toSegmentJson(segment);
      },
    );

    app.delete(
      '/v1/apps/:appId/segments/:segmentId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Delete a segment and all its versions',
          description: 'Refused (409) while another segment builds on it.',
          security,
          params: segmentParams,
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { appId, segmentId } = request.params;
        await deleteSegment(deps, appId, segmentId);
        reply.code(204);
        return null;
      },
    );

    app.get(
      '/v1/apps/:appId/segments/:segmentId/estimate',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Count the endpoints in a segment now',
          description: 'Opted-out and INACTIVE endpoints are left out unless asked for.',
          security,
          params: segmentParams,
          querystring: z.strictObject(audienceQuery),
          response: {
            200: z.object({ count: z.number().int() }),
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request) => {
        const { appId, segmentId } = request.params;
        const { version, includeOptedOut, includeInactive } = request.query;
        const count = await deps.segments.estimate(appId, segmentId, {
          ...(version !== undefined ? { version } : {}),
          ...(includeOptedOut !== undefined ? { includeOptedOut } : {}),
          ...(includeInactive !== undefined ? { includeInactive } : {}),
        });
        return { count };
      },
    );

    app.get(
      '/v1/apps/:appId/segments/:segmentId/endpoints',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: "Page through a segment's endpoints",
          description: 'In id order, evaluated now.',
          security,
          params: segmentParams,
          querystring: z.strictObject({ ...paginationQuery, ...audienceQuery }),
          response: { 200: pageOf(endpointJson), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { appId, segmentId } = request.params;
        const { limit, cursor, version, includeOptedOut, includeInactive } = request.query;
        const rows = await deps.segments.pageSegmentEndpoints(appId, segmentId, {
          limit: limit + 1,
          ...afterIdFrom(cursor),
          ...(version !== undefined ? { version } : {}),
          ...(includeOptedOut !== undefined ? { includeOptedOut } : {}),
          ...(includeInactive !== undefined ? { includeInactive } : {}),
        });
        return pageById(rows, limit, toEndpointJson);
      },
    );
  };
}

async function missing(
  deps: SegmentRoutesDeps,
  appId: string,
  segmentId: string,
  version: number | undefined,
) {
  if (version !== undefined && (await deps.segments.get(appId, segmentId))) {
    return new HeraldError('HERALD_NOT_FOUND', `segment ${segmentId} has no version ${version}`, {
      field: 'version',
    });
  }
  return segmentNotFound(segmentId);
}
