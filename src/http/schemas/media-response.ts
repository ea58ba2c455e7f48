import type { FastifySchema } from 'fastify';
import { z } from 'zod';

/** The key, in a response's JSON schema, of the media type `mediaResponse` gives it. */
const MEDIA_TYPE = 'x-herald-media-type';

/**
 * A response whose body is not JSON (the event stream's `text/event-stream`, the metrics' Prometheus text), for the
 * OpenAPI document: the schema is filed under `mediaType` instead of `application/json` (by
 * {@link fileUnderMediaTypes}). Only for a reply the handler writes itself (hijacked) or sends as a string with its
 * own Content-Type: fastify sends a string as it is, and its serializer never sees it.
 *
 * @example
 * response: { 200: mediaResponse('text/event-stream', z.string().describe('event: ...')), ...errorResponses(401) }
 */
export function mediaResponse<T extends z.ZodType>(mediaType: string, schema: T): T {
  return schema.meta({ [MEDIA_TYPE]: mediaType });
}

/**
 * A response that comes in one of several media types (a webhook's `{}`, or the TwiML Twilio expects), each with its
 * own schema, filed as `content` with one entry per media type. As for {@link mediaResponse}, only for bodies sent
 * as strings with their Content-Type: the union is never used to serialize.
 *
 * @example
 * 200: mediaResponses('Stored.', { 'application/json': z.object({}), 'text/xml': z.string() })
 */
export function mediaResponses(
  description: string,
  content: Readonly<Record<string, z.ZodType>>,
): z.ZodUnion<z.ZodType[]> {
  return z
    .union(Object.entries(content).map(([mediaType, schema]) => mediaResponse(mediaType, schema)))
    .describe(description);
}

/**
 * A route's schema as the swagger transform made it, with each response of `mediaResponse` (or `mediaResponses`)
 * given as OpenAPI `content` of its own media types: @fastify/swagger puts every other response under
 * `application/json`.
 */
export function fileUnderMediaTypes(schema: FastifySchema): FastifySchema {
  const responses = schema.response as Record<string, Record<string, unknown>> | undefined;
  if (!responses) return schema;
  let filed: Record<string, unknown> | undefined;
  for (const [status, response] of Object.entries(responses)) {
    const content = mediaContent(response);
    if (!content) continue;
    filed ??= { ...responses };
    filed[status] = { description: response.description ?? 'Default Response', content };
  }
  return filed ? { ...schema, response: filed } : schema;
}

/** `{ [mediaType]: { schema } }` for a response of `mediaResponse` or `mediaResponses`, else undefined. */
function mediaContent(response: Record<string, unknown>): Record<string, { schema: unknown }> | undefined {
  const single = filedSchema(response);
  if (single) {
    // The response's own description, not its body's too.
    const { description: _, ...schema } = single.schema;
    return { [single.mediaType]: { schema } };
  }
  const members = response.anyOf;
  if (!Array.isArray(members) || members.length === 0) return undefined;
  const content: Record<string, { schema: unknown }> = {};
  for (const member of members) {
    const filed = filedSchema(member as Record<string, unknown>);
    if (!filed) return undefined;
    content[filed.mediaType] = { schema: filed.schema };
  }
  return content;
}

function filedSchema(
  response: Record<string, unknown>,
): { mediaType: string; schema: Record<string, unknown> } | undefined {
  // `$schema` and `$id` are the zod transform's own, which @fastify/swagger strips from the schemas it files.
  const { [MEDIA_TYPE]: mediaType, $schema: _schema, $id: _id, ...schema } = response;
  return typeof mediaType === 'string' ? { mediaType, schema } : undefined;
}
