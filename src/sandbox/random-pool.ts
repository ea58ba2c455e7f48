import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;

/**
 * Random bytes as hex, drawn from a buffer filled 4 KiB at a time: `randomBytes` per message (two per send, for the
 * wamid and the conversation id) was a tenth of the WhatsApp sandbox's time under load.
 *
 * @example
 * const random = new RandomPool();
 * random.hex(8); // '9f1c0e...' (16 characters)
 */
export class RandomPool {
  private readonly buffer = Buffer.allocUnsafe(POOL_BYTES);
  private offset = POOL_BYTES;

  hex(bytes: number): string {
    if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} bytes at a time`);
    if (this.offset + bytes > POOL_BYTES) {
      randomFillSync(this.buffer);
      this.offset = 0;
    }
    const out = this.buffer.toString('hex', this.offset, this.offset + bytes);
    this.offset += bytes;
    return out;
  }
}
