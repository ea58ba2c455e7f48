import { createHmac, hkdfSync } from 'node:crypto';
import type { ChannelType } from '../../domain/channel-type.js';

/** Keyed hash of a recipient's address: what the ledger keeps instead of the address. */
export type RecipientHasher = (channelType: ChannelType, canonicalAddress: string) => string;

/**
 * HMAC-SHA256 under a key derived from HERALD_SECRET_KEY, 128 bits in base64url. Keyed, so a leaked ledger cannot be
 * reversed by hashing every phone number; stable, so a conversation is found again. Changing the secret key starts
 * every conversation afresh.
 *
 * @example
 * const hash = createRecipientHasher(secret)('WHATSAPP', '+16505551234');
 */
export function createRecipientHasher(secretKey: string): RecipientHasher {
  const key = Buffer.from(hkdfSync('sha256', secretKey, 'herald', 'recipient-hash', 32));
  return (channelType, canonicalAddress) =>
    createHmac('sha256', key)
      .update(`${channelType}:${canonicalAddress}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
}
