import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulidx';
import type { IdGenerator } from '../ports/id-generator.js';

/** Lower-case ULIDs: sortable by creation time, unique across processes. */
export function createUlidGenerator(): IdGenerator {
  const ulid = monotonicFactory(pooledRandom());
  return { next: () => ulid().toLowerCase() };
}

/**
 * ulidx draws each of a ULID's 16 random characters with its own `crypto.getRandomValues` call; every message, job
 * and webhook event gets an id, so the bytes come from a buffer refilled 4 KiB at a time instead.
 */
function pooledRandom(): () => number {
  const buffer = Buffer.allocUnsafe(4096);
  let offset = buffer.length;
  return () => {
    if (offset === buffer.length) {
      randomFillSync(buffer);
      offset = 0;
    }
    return (buffer[offset++] ?? 0) / 256;
  };
}
