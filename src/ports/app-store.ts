import type { ApiKey, App } from '../domain/app.js';

export interface StoredApiKey extends ApiKey {
  /** SHA-256 of the key's secret part, hex. */
  readonly secretHash: string;
}

/**
 * Apps and their API keys. Deleting an app deletes everything it owns.
 * Leaves out key verification: that is `app/apps/authenticate.ts`, which only reads `findKey`.
 *
 * @example
 * await apps.createApp({ id, name: 'shop', createdAt: now }, firstKey);
 * const page = await apps.listApps({ limit: 50 });
 */
export interface AppStore {
  /** Creates the app and its first key in one transaction. */
  createApp(app: App, firstKey: StoredApiKey): Promise<void>;
  getApp(appId: string): Promise<App | undefined>;
  /** Apps in id order, after the given id. */
  listApps(options: { limit: number; afterId?: string }): Promise<App[]>;
  deleteApp(appId: string): Promise<boolean>;
  createKey(key: StoredApiKey): Promise<void>;
  listKeys(appId: string, options: { limit: number; afterId?: string }): Promise<ApiKey[]>;
  deleteKey(appId: string, keyId: string): Promise<boolean>;
  findKey(keyId: string): Promise<StoredApiKey | undefined>;
}
