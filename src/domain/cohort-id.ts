/**
 * Pinpoint's CohortId: a number from 0 to 99 that is a stable function of the endpoint id, so that campaigns can
 * hold out or split the same share of an audience every time. FNV-1a over the UTF-16 code units: cheap, stable
 * across processes and versions, and spread evenly enough over 100 buckets.
 *
 * @example
 * cohortIdOf('e-42'); // '17' (always the same for 'e-42')
 */
export function cohortIdOf(endpointId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < endpointId.length; i++) {
    hash ^= endpointId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return String((hash >>> 0) % 100);
}
