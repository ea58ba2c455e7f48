import { HeraldError } from './errors.js';

/**
 * Opaque pagination cursors: the sort key of the last item returned, as base64url JSON. Keyset pagination, so a
 * page costs the same wherever it starts.
 *
 * @example
 * const cursor = encodeCursor(['01jd...', 'e-42']);
 * decodeCursor(cursor, 2); // ['01jd...', 'e-42']
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, length: number): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== length ||
    !parsed.every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    throw new HeraldError('HERALD_INVALID_CURSOR', 'the cursor is not one this list issued', {
      field: 'cursor',
    });
  }
  return parsed;
}

/** A page of a list: `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}
