import { monotonicFactory } from 'ulidx';
import type { IdGenerator } from '../ports/id-generator.js';

/** Lower-case ULIDs: sortable by creation time, unique across processes. */
export function createUlidGenerator(): IdGenerator {
  const ulid = monotonicFactory();
  return { next: () => ulid().toLowerCase() };
}
