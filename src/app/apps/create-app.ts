import type { App } from '../../domain/app.js';
import type { AppStore } from '../../ports/app-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import { mintApiKey } from './api-key-format.js';

export interface CreateAppDeps {
  readonly apps: AppStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** Creates an app with a first API key named "default". The key is returned once and never again. */
export async function createApp(
  deps: CreateAppDeps,
  input: { name: string },
): Promise<App & { apiKey: string }> {
  const now = deps.clock.now();
  const app: App = { id: deps.ids.next(), name: input.name, createdAt: now };
  const keyId = deps.ids.next();
  const minted = mintApiKey(keyId);
  await deps.apps.createApp(app, {
    id: keyId,
    appId: app.id,
    name: 'default',
    hint: minted.hint,
    createdAt: now,
    secretHash: minted.secretHash,
  });
  return { ...app, apiKey: minted.key };
}
