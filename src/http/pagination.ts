import { decodeCursor, encodeCursor } from '../domain/cursor.js';

/** The id after which a page starts, from a cursor issued by `pageById`. */
export function afterIdFrom(cursor: string | undefined): { afterId?: string } {
  return cursor === undefined ? {} : { afterId: String(decodeCursor(cursor, 1)[0]) };
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
