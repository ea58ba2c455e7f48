/**
 * New identifiers. Ids are time-ordered (ULIDs) so that keyset pagination over them follows creation order.
 *
 * @example
 * const id = ids.next(); // '01jd3x8m2k4q7r9s5t6v8w0y1z'
 */
export interface IdGenerator {
  next(): string;
}
