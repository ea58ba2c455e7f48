import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HeraldError } from '../domain/errors.js';
import type { ImportSpool } from '../ports/import-spool.js';

/**
 * Import uploads as files in `<dataDir>/imports/`: `<id>.part` while the upload streams in, renamed to `<id>`
 * once complete (and flushed to disk), so a crash never leaves a half upload that looks whole.
 */
export function createFileImportSpool(dataDir: string): ImportSpool {
  const dir = path.join(dataDir, 'imports');
  const file = (importId: string) => {
    if (!/^[0-9a-z]+$/.test(importId)) throw new Error(`not an import id: ${importId}`);
    return path.join(dir, importId);
  };

  return {
    async write(importId, source, { limitBytes }) {
      await fs.promises.mkdir(dir, { recursive: true });
      const target = file(importId);
      const partial = `${target}.part`;
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size > limitBytes) {
            callback(
              new HeraldError(
                'HERALD_PAYLOAD_TOO_LARGE',
                `the upload is larger than the import limit of ${limitBytes} bytes (HERALD_IMPORT_LIMIT)`,
              ),
            );
            return;
          }
          callback(null, chunk);
        },
      });
      try {
        const out = fs.createWriteStream(partial, { flags: 'wx' });
        await pipeline(source, counter, out);
        const handle = await fs.promises.open(partial, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.promises.rename(partial, target);
        return size;
      } catch (error) {
        await fs.promises.rm(partial, { force: true });
        throw error;
      }
    },

    async exists(importId) {
      try {
        await fs.promises.access(file(importId));
        return true;
      } catch {
        return false;
      }
    },

    read(importId) {
      return fs.createReadStream(file(importId), { highWaterMark: 256 * 1024 });
    },

    async firstLine(importId, maxBytes) {
      const handle = await fs.promises.open(file(importId), 'r');
      try {
        const buffer = Buffer.alloc(maxBytes);
        const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
        const text = buffer.subarray(0, bytesRead).toString('utf8');
        const end = text.search(/\r?\n/);
        return end === -1 ? text : text.slice(0, end);
      } finally {
        await handle.close();
      }
    },

    async remove(importId) {
      await fs.promises.rm(file(importId), { force: true });
    },

    async sweep() {
      let names: string[];
      try {
        names = await fs.promises.readdir(dir);
      } catch {
        return;
      }
      await Promise.all(
        names
          .filter((n) => n.endsWith('.part'))
          .map((n) => fs.promises.rm(path.join(dir, n), { force: true })),
      );
    },
  };
}
