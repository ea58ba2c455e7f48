import { createHmac, hkdfSync } from 'node:crypto';
import type { ProviderIdCodec } from '../../ports/provider-id-codec.js';
import type { SecretBox } from '../../ports/secret-box.js';

/**
 * HMAC-SHA256 of the sender and the id under a key derived from HERALD_SECRET_KEY (128 bits, base64url), and the
 * id sealed by the secret box. Keyed like the recipient hash, so a copy of the ledger alone cannot be searched for
 * a phone number by rebuilding ids.
 *
 * @example
 * const codec = createProviderIdCodec(config.secretKey, createAesGcmSecretBox(config.secretKey));
 */
export function createProviderIdCodec(secretKey: string, box: SecretBox): ProviderIdCodec {
  const key = Buffer.from(hkdfSync('sha256', secretKey, 'herald', 'provider-message-id', 32));
  return {
    digest: (senderKey, providerMessageId) =>
      createHmac('sha256', key)
        .update(`${senderKey}\u0000${providerMessageId}`)
        .digest()
        .subarray(0, 16)
        .toString('base64url'),
    seal: (providerMessageId) => box.seal(providerMessageId),
    open(sealed) {
      try {
        return box.open(sealed);
      } catch {
        return undefined;
      }
    },
  };
}
