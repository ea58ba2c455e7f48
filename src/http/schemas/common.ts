import { z } from 'zod';

export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'HERALD_VALIDATION_FAILED' }),
      message: z.string(),
      field: z.string().optional(),
      details: z
        .array(
          z.object({ index: z.number().int().optional(), field: z.string().optional(), reason: z.string() }),
        )
        .optional(),
    }),
  })
  .meta({ id: 'Error', description: 'Every error has this shape; `code` is stable (see docs/errors.md).' });

/** Error responses a route may give, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorBody> {
  return Object.fromEntries(statuses.map((s) => [s, errorBody]));
}

export const paginationQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(50).describe('Items per page (1-1000).'),
  cursor: z.string().min(1).max(2048).optional().describe('The `nextCursor` of the previous page.'),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const timestamp = z
  .string()
  .describe('ISO 8601 time, UTC.')
  .meta({ example: '2026-11-21T10:00:00.000Z' });

export const appIdParams = z.strictObject({ appId: z.string().min(1).max(64) });

export const security = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
