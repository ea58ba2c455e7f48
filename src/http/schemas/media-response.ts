import type { FastifySchema } from 'fastify';
import type { z } from 'zod';

/** The key, in a response's JSON schema, of the media type `mediaResponse` gives it. */
const MEDIA_TYPE = 'x-herald-media-type';

/**
 * A response whose body is not JSON (the event stream's `text/event-stream`), for the OpenAPI document: the schema
 * is filed under `mediaType` instead of `application/json` (by {@link fileUnderMediaTypes}). Only for a reply the
 * handler writes itself (hijacked): fastify's serializer never sees it.
 *
 * @example
 * response: { 200: mediaResponse('text/event-stream', z.string().describe('event: ...')), ...errorResponses(401) }
 */
export function mediaResponse<T extends z.ZodType>(mediaType: string, schema: T): T {
  return schema.meta({ [MEDIA_TYPE]: mediaType });
}

/**
 * A route's schema as the swagger transform made it, with each response of `mediaResponse` given as OpenAPI
 * `content` of its own media type: @fastify/swagger puts every other response under `application/json`.
 */
export function fileUnderMediaTypes(schema: FastifySchema): FastifySchema {
  const responses = schema.response as Record<string, Record<string, unknown>> | undefined;
  if (!responses) return schema;
  let filed: Record<string, unknown> | undefined;
  for (const [status, response] of Object.entries(responses)) {
    const mediaType = response[MEDIA_TYPE];
    if (typeof mediaType !== 'string') continue;
    // `$schema` and `$id` are the zod transform's own, which @fastify/swagger strips from the schemas it files.
    const { [MEDIA_TYPE]: _, description, $schema: _schema, $id: _id, ...body } = response;
    filed ??= { ...responses };
    filed[status] = {
      description: description ?? 'Default Response',
      content: { [mediaType]: { schema: body } },
    };
  }
  return filed ? { ...schema, response: filed } : schema;
}
