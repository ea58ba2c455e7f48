import path from 'node:path';
import type { AppStore } from '../../ports/app-store.js';
import { type CreateAppDeps, createApp } from '../apps/create-app.js';

/** The slice of `node:fs` the demo set-up needs. */
export interface DemoFs {
  existsSync(p: string): boolean;
  readFileSync(p: string, encoding: 'utf8'): string;
  writeFileSync(p: string, data: string, options: { mode: number }): void;
  mkdirSync(p: string, options: { recursive: true }): unknown;
}

export interface DemoApp {
  readonly appId: string;
  readonly apiKey: string;
  /** True when this call created it. */
  readonly created: boolean;
}

/**
 * The demo app `npm start` serves. Its key is kept in the data directory (mode 0600) so every start can print it;
 * if the app was deleted, a new one is made.
 */
export async function ensureDemoApp(
  deps: CreateAppDeps & { apps: AppStore; fs: DemoFs; dataDir: string },
): Promise<DemoApp> {
  const file = path.join(deps.dataDir, 'demo-app.json');
  if (deps.fs.existsSync(file)) {
    const stored = JSON.parse(deps.fs.readFileSync(file, 'utf8')) as { appId: string; apiKey: string };
    if (await deps.apps.getApp(stored.appId)) return { ...stored, created: false };
  }
  const app = await createApp(deps, { name: 'demo' });
  deps.fs.mkdirSync(deps.dataDir, { recursive: true });
  deps.fs.writeFileSync(file, `${JSON.stringify({ appId: app.id, apiKey: app.apiKey }, null, 2)}\n`, {
    mode: 0o600,
  });
  return { appId: app.id, apiKey: app.apiKey, created: true };
}
