import type { App } from '../../domain/app.js';
import { HeraldError } from '../../domain/errors.js';
import type { AppStore } from '../../ports/app-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import { mintApiKey } from './api-key-format.js';

export interface CreateAppDeps {
  readonly apps: AppStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** An app's name: 1 to 128 characters once trimmed, whichever way the app is created (API or CLI). */
export const APP_NAME_MAX = 128;

/** Creates an app with a first API key named "default". The key is returned once and never again. */
export async function createApp(
  deps: CreateAppDeps,
  input: { name: string },
): Promise<App & { apiKey: string }> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > APP_NAME_MAX) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `name: 1 to ${APP_NAME_MAX} characters`, {
      field: 'name',
    });
  }
  const now = deps.clock.now();
  const app: App = { id: deps.ids.next(), name, createdAt: now };
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
