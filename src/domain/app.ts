/** A tenant: its own endpoints, channels, keys and campaigns (Pinpoint's "application"). */
export interface App {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

/** An API key as listed: never the secret. */
export interface ApiKey {
  readonly id: string;
  readonly appId: string;
  readonly name: string;
  /** Last four characters of the key, to tell keys apart. */
  readonly hint: string;
  readonly createdAt: number;
}

/** Who is calling: the operator (admin token) or one app (its API key). */
export type Principal =
  | { readonly kind: 'admin' }
  | { readonly kind: 'app'; readonly appId: string; readonly keyId: string };
