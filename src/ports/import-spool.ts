import type { Readable } from 'node:stream';

/**
 * Where uploaded import files wait to be processed: written once while the upload streams in, read (from the
 * start, possibly again after a restart) while processing, removed when the import is finished. The runtime one
 * keeps them in `<dataDir>/imports/`.
 *
 * Leaves out: size limits (the caller counts bytes while writing) and parsing.
 *
 * @example
 * const size = await spool.write(importId, request.raw, { limitBytes });
 * const stream = spool.read(importId);
 * await spool.remove(importId);
 */
export interface ImportSpool {
  /**
   * Streams `source` into the spool; resolves to the size. Rejects with `HERALD_PAYLOAD_TOO_LARGE` (and leaves
   * nothing behind) when the source is longer than `limitBytes`.
   */
  write(importId: string, source: Readable, options: { limitBytes: number }): Promise<number>;
  exists(importId: string): Promise<boolean>;
  read(importId: string): Readable;
  /** Reads the first line (a CSV header), at most `maxBytes`. */
  firstLine(importId: string, maxBytes: number): Promise<string>;
  remove(importId: string): Promise<void>;
  /** Removes partial uploads left by a crash. */
  sweep(): Promise<void>;
}
