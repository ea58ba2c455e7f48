import type { ApiKey } from '../../domain/app.js';
import { HeraldError } from '../../domain/errors.js';
import type { AppStore } from '../../ports/app-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import { mintApiKey } from './api-key-format.js';

export interface IssueApiKeyDeps {
  readonly apps: AppStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** Adds a key to an app. The returned `key` is the only time the secret is visible. */
export async function issueApiKey(
  deps: IssueApiKeyDeps,
  input: { appId: string; name: string },
): Promise<ApiKey & { key: string }> {
  const app = await deps.apps.getApp(input.appId);
  if (!app)
    throw new HeraldError('HERALD_NOT_FOUND', `app ${input.appId} does not exist`, { field: 'appId' });
  const id = deps.ids.next();
  const minted = mintApiKey(id);
  const key: ApiKey = { id, appId: app.id, name: input.name, hint: minted.hint, createdAt: deps.clock.now() };
  await deps.apps.createKey({ ...key, secretHash: minted.secretHash });
  return { ...key, key: minted.key };
}
