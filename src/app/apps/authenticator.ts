import type { Principal } from '../../domain/app.js';
import type { AppStore } from '../../ports/app-store.js';
import type { Clock } from '../../ports/clock.js';
import { parseApiKey, secretMatches, tokensEqual } from './api-key-format.js';

/**
 * Resolves a presented credential (admin token or API key) to a principal.
 *
 * Verified keys are cached for `cacheMs` so the send API does not read the key table on every request; a key
 * deleted in another process therefore keeps working for at most that long. A deletion through this process
 * takes effect at once (`forget`).
 *
 * @example
 * const principal = await authenticator.authenticate(token); // { kind: 'app', appId, keyId } | undefined
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; secretHash: string; until: number }>();

  constructor(
    private readonly deps: { apps: AppStore; clock: Clock; adminToken: string; cacheMs?: number },
  ) {}

  async authenticate(credential: string): Promise<Principal | undefined> {
    const parsed = parseApiKey(credential);
    if (!parsed) return tokensEqual(credential, this.deps.adminToken) ? { kind: 'admin' } : undefined;

    const now = this.deps.clock.now();
    const cached = this.cache.get(parsed.keyId);
    if (cached && cached.until > now) {
      return secretMatches(parsed.secret, cached.secretHash) ? cached.principal : undefined;
    }
    const stored = await this.deps.apps.findKey(parsed.keyId);
    if (!stored) {
      this.cache.delete(parsed.keyId);
      return undefined;
    }
    const principal: Principal = { kind: 'app', appId: stored.appId, keyId: stored.id };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(parsed.keyId, {
      principal,
      secretHash: stored.secretHash,
      until: now + (this.deps.cacheMs ?? 5_000),
    });
    return secretMatches(parsed.secret, stored.secretHash) ? principal : undefined;
  }

  /** Whether an app exists: what the admin token, which names any app, is checked against. */
  async appExists(appId: string): Promise<boolean> {
    return (await this.deps.apps.getApp(appId)) !== undefined;
  }

  /** Drops cached keys of one key (or of a whole app) after a deletion. */
  forget(filter: { keyId?: string; appId?: string }): void {
    for (const [keyId, entry] of this.cache) {
      const appId = entry.principal.kind === 'app' ? entry.principal.appId : undefined;
      if (keyId === filter.keyId || (filter.appId !== undefined && appId === filter.appId))
        this.cache.delete(keyId);
    }
  }
}
