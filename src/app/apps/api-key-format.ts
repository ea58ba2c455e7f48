import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'hk_';

/**
 * API keys look like `hk_<keyId>_<secret>`: the key id finds the stored hash in one indexed read, and only the
 * SHA-256 of the secret is kept. The secret has 256 bits, so a fast hash is enough (no password stretching).
 *
 * @example
 * const { key, secretHash } = mintApiKey('01jd3x...');
 * parseApiKey(key); // { keyId: '01jd3x...', secret: '...' }
 */
export function mintApiKey(keyId: string): { key: string; secretHash: string; hint: string } {
  const secret = randomBytes(32).toString('base64url');
  const key = `${PREFIX}${keyId}_${secret}`;
  return { key, secretHash: hashSecret(secret), hint: key.slice(-4) };
}

export function parseApiKey(key: string): { keyId: string; secret: string } | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const rest = key.slice(PREFIX.length);
  const separator = rest.indexOf('_');
  if (separator <= 0) return undefined;
  const keyId = rest.slice(0, separator);
  const secret = rest.slice(separator + 1);
  if (!/^[0-9a-z]{26}$/.test(keyId) || secret.length < 32) return undefined;
  return { keyId, secret };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Constant-time comparison of two strings of any length (the admin token). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
