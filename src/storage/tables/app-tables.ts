/** Tables of apps and their API keys. Times are milliseconds since the epoch in every table. */
export interface AppTables {
  apps: {
    id: string;
    name: string;
    created_at: number;
  };
  api_keys: {
    id: string;
    app_id: string;
    name: string;
    /** SHA-256 of the secret part, hex. The secret itself is never stored. */
    secret_hash: string;
    /** The last four characters of the key, to tell keys apart in a list. */
    hint: string;
    created_at: number;
  };
}
