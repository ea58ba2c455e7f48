import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SecretBox } from '../ports/secret-box.js';

const VERSION = 'v1';
const IV_BYTES = 12;

/**
 * AES-256-GCM with a key derived from the configured secret by HKDF-SHA256. Output:
 * `v1.<iv>.<tag>.<ciphertext>` in base64url, so the format can change without ambiguity.
 */
export function createAesGcmSecretBox(secret: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', secret, 'herald', 'credentials', 32));
  // Random IVs drawn from a block refilled when used up, each 12 bytes used once: randomBytes(12) per seal was a
  // third of sealing's cost, and every sent message's provider id is sealed (see provider-id-codec.ts).
  let pool = Buffer.alloc(0);
  let offset = 0;
  const nextIv = () => {
    if (offset + IV_BYTES > pool.length) {
      pool = randomBytes(IV_BYTES * 1024);
      offset = 0;
    }
    offset += IV_BYTES;
    return pool.subarray(offset - IV_BYTES, offset);
  };
  return {
    seal(plaintext: string): string {
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), ciphertext]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed: string): string {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || ciphertext === undefined)
        throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
