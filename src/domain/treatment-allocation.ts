/**
 * Which part of a campaign's audience an endpoint falls in: the holdout, or one treatment. A stable function of the
 * campaign id and the endpoint id (FNV-1a, like the CohortId), so every run and every resumed fan-out agrees, and
 * two campaigns split the same audience independently.
 *
 * @example
 * allocate('cmp-1', 'e-42', 10, [50, 50]); // { holdout: false, treatment: 1 } (always the same for these ids)
 */
export function allocate(
  campaignId: string,
  endpointId: string,
  holdoutPercent: number,
  sizePercents: readonly number[],
): { holdout: true } | { holdout: false; treatment: number } {
  if (bucket(`h\u0000${campaignId}\u0000${endpointId}`) < holdoutPercent * 100) return { holdout: true };
  const point = bucket(`t\u0000${campaignId}\u0000${endpointId}`);
  let upper = 0;
  for (const [index, size] of sizePercents.entries()) {
    upper += size * 100;
    if (point < upper) return { holdout: false, treatment: index };
  }
  return { holdout: false, treatment: Math.max(0, sizePercents.length - 1) };
}

/** 0..9999 (basis points). */
function bucket(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche: FNV-1a's low bits follow the last characters too closely for ids that differ at the end.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % 10_000;
}
