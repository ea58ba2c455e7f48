/**
 * Encrypts provider credentials at rest with HERALD_SECRET_KEY.
 *
 * @example
 * const sealed = secrets.seal(JSON.stringify({ accessToken }));
 * JSON.parse(secrets.open(sealed));
 */
export interface SecretBox {
  seal(plaintext: string): string;
  /** Throws when the value was sealed with another key or tampered with. */
  open(sealed: string): string;
}
