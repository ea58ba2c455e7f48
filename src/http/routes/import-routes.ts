import type { Readable } from 'node:stream';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type StartImportDeps, startImport } from '../../app/imports/start-import.js';
import { HeraldError } from '../../domain/errors.js';
import type { ImportFormat, ImportJob } from '../../domain/import-job.js';
import type { ImportStore } from '../../ports/import-store.js';
import { requireAppAccess } from '../auth.js';
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

export interface ImportRoutesDeps extends StartImportDeps {
  readonly imports: ImportStore;
}

const FORMATS: Record<string, ImportFormat> = {
  'text/csv': 'CSV',
  'application/x-ndjson': 'JSON',
  'application/ndjson': 'JSON',
};

const tags = ['imports'];

const importJson = z
  .object({
    id: z.string(),
    format: z.enum(['CSV', 'JSON']),
    status: z.enum(['CREATED', 'PROCESSING', 'COMPLETED', 'FAILED']),
    segmentId: z
      .string()
      .optional()
      .describe('The IMPORT segment of the imported endpoints (`defineSegment`).'),
    segmentName: z.string().optional(),
    sizeBytes: z.number().int(),
    bytesRead: z.number().int().describe('Progress through the file.'),
    processed: z.number().int().describe('Rows written.'),
    failed: z.number().int().describe('Rows reported and skipped.'),
    errors: z
      .array(z.object({ row: z.number().int(), field: z.string().optional(), reason: z.string() }))
      .describe('The first 100 row errors. `row` is the line of the file (a CSV header is line 1).'),
    failureReason: z.string().optional().describe('Why the import as a whole failed (status FAILED).'),
    createdAt: timestamp,
    updatedAt: timestamp,
    completedAt: timestamp.optional(),
  })
  .meta({ id: 'Import' });

/** The upload is a stream, handed to the handler unread: only params and query go through zod. */
const streamBodyCompiler: FastifySchemaCompiler<FastifySchema> = (route) =>
  route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(route as never);

/** Endpoint imports: upload (streamed to the spool, processed in the background), status, list. */
export function importRoutes(deps: ImportRoutesDeps): RouteModule {
  return (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(Object.keys(FORMATS), (_request, payload, done) => {
      done(null, payload);
    });

    app.post(
      '/v1/apps/:appId/imports',
      {
        onRequest: requireAppAccess,
        validatorCompiler: streamBodyCompiler,
        schema: {
          tags,
          summary: 'Import endpoints from a CSV or NDJSON file',
          description:
            "The body is the file, in Pinpoint's import format: `text/csv` with a header of attribute paths (ChannelType, Address, Id, OptOut, EffectiveDate, RequestId, Location.*, Demographic.*, Attributes.<name> repeated once per value, Metrics.<name>, User.UserId, User.UserAttributes.<name>), or `application/x-ndjson` with one Pinpoint endpoint object per line. The file is streamed to disk (HERALD_IMPORT_LIMIT bytes at most) and processed after the answer; follow it at GET .../imports/{importId}. A bad row is reported and skipped; the good rows land. Rows without an Id get `<importId>-<line>`.",
          security,
          params: appIdParams,
          querystring: z.strictObject({
            defineSegment: z
              .string()
              .trim()
              .min(1)
              .max(128)
              .optional()
              .describe('Make an IMPORT segment of the imported endpoints, with this name.'),
          }),
          consumes: Object.keys(FORMATS),
          body: z.string().describe('The file.'),
          response: {
            202: z.object({ id: z.string(), segmentId: z.string().optional() }),
            ...errorResponses(400, 401, 403, 404, 413, 415),
          },
        },
      },
      async (request, reply) => {
        const { appId } = request.params;
        const contentType = String(request.headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim()
          .toLowerCase();
        const format = contentType ? FORMATS[contentType] : undefined;
        const source = request.body as unknown;
        if (!format || !isReadable(source)) {
          throw new HeraldError(
            'HERALD_UNSUPPORTED_MEDIA_TYPE',
            'send the file as text/csv or application/x-ndjson',
          );
        }
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > deps.limitBytes) {
          throw new HeraldError(
            'HERALD_PAYLOAD_TOO_LARGE',
            `the upload is larger than the import limit of ${deps.limitBytes} bytes (HERALD_IMPORT_LIMIT)`,
          );
        }
        const job = await startImport(deps, appId, {
          format,
          source,
          ...(request.query.defineSegment ? { defineSegment: request.query.defineSegment } : {}),
        });
        reply.code(202);
        return { id: job.id, ...(job.segmentId ? { segmentId: job.segmentId } : {}) };
      },
    );

    app.get(
      '/v1/apps/:appId/imports/:importId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: "An import's status, counts and first row errors",
          security,
          params: appIdParams.extend({ importId: z.string().min(1).max(64) }),
          response: { 200: importJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, importId } = request.params;
        const job = await deps.imports.get(appId, importId);
        if (!job)
          throw new HeraldError('HERALD_NOT_FOUND', `import ${importId} does not exist`, {
            field: 'importId',
          });
        return toImportJson(job);
      },
    );

    app.get(
      '/v1/apps/:appId/imports',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'List imports, newest first',
          security,
          params: appIdParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(importJson), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId } = request.params;
        const { limit, cursor } = request.query;
        const rows = await deps.imports.list(appId, { limit: limit + 1, ...afterIdFrom(cursor) });
        return pageById(rows, limit, toImportJson);
      },
    );
  };
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function';
}

function toImportJson(job: ImportJob): z.input<typeof importJson> {
  return {
    id: job.id,
    format: job.format,
    status: job.status,
    ...(job.segmentId !== undefined ? { segmentId: job.segmentId } : {}),
    ...(job.segmentName !== undefined ? { segmentName: job.segmentName } : {}),
    sizeBytes: job.sizeBytes,
    bytesRead: job.bytesRead,
    processed: job.processed,
    failed: job.failed,
    errors: job.errors.map((e) => ({
      row: e.row,
      ...(e.field !== undefined ? { field: e.field } : {}),
      reason: e.reason,
    })),
    ...(job.failureReason !== undefined ? { failureReason: job.failureReason } : {}),
    createdAt: toIso(job.createdAt),
    updatedAt: toIso(job.updatedAt),
    ...(job.completedAt !== undefined ? { completedAt: toIso(job.completedAt) } : {}),
  };
}
