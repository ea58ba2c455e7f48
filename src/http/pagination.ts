import { decodeCursor, encodeCursor } from '../domain/cursor.js';

/** The id after which a page starts, from a cursor issued by `pageById`. */
export function afterIdFrom(cursor: string | undefined): { afterId?: string } {
  return cursor === undefined ? {} : { afterId: String(decodeCursor(cursor, 1)[0]) };
}

/**
 * A page of a list read whole (an app's channels or subscriptions, a handful), in id order: paged with the same
 * `limit` and cursor as the lists paged by the database.
 *
 * @example
 * return pageOfAll(await store.list(appId), request.query, toJson);
 */
export function pageOfAll<T extends { id: string }, J>(
  all: readonly T[],
  query: { limit: number; cursor?: string | undefined },
  toJson: (row: T) => J,
): { items: J[]; nextCursor: string | null } {
  const { afterId } = afterIdFrom(query.cursor);
  const rows = afterId === undefined ? all : all.filter((row) => row.id > afterId);
  return pageById(rows.slice(0, query.limit + 1), query.limit, toJson);
}

/**
 * Cuts a page from rows fetched with `limit + 1`: the extra row only says there is a next page.
 *
 * @example
 * const rows = await store.list({ limit: limit + 1, ...afterIdFrom(cursor) });
 * return pageById(rows, limit, toJson);
 */
export function pageById<T extends { id: string }, J>(
  rows: readonly T[],
  limit: number,
  toJson: (row: T) => J,
): { items: J[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toJson),
    nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null,
  };
}
