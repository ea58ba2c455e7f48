import type { Command } from 'commander';
import { APP_NAME_MAX, createApp } from '../../app/apps/create-app.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createUlidGenerator } from '../../runtime/ulid-generator.js';
import { KyselyAppStore } from '../../storage/app-store.js';
import { migrateToLatest } from '../../storage/migrate.js';
import { openDatabase } from '../../storage/open-database.js';
import { cliConfig } from '../cli-config.js';

/** App management works on the database directly, like `migrate`: it needs no running server and no token. */
export function registerAppsCommand(program: Command): void {
  const apps = program.command('apps').description('manage apps (works on the configured database directly)');

  apps
    .command('create <name>')
    .description('create an app and print its id and first API key (shown once)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      if (name.trim().length === 0 || name.trim().length > APP_NAME_MAX) {
        process.stderr.write(`herald: the app's name is 1 to ${APP_NAME_MAX} characters\n`);
        process.exitCode = 2;
        return;
      }
      const config = cliConfig();
      const database = await openDatabase(config.database);
      try {
        await migrateToLatest(database);
        const app = await createApp(
          { apps: new KyselyAppStore(database.db), clock: systemClock, ids: createUlidGenerator() },
          { name },
        );
        if (flags.json)
          process.stdout.write(`${JSON.stringify({ id: app.id, name: app.name, apiKey: app.apiKey })}\n`);
        else
          process.stdout.write(
            `app id:  ${app.id}\napi key: ${app.apiKey}\n(the key is shown once; keep it)\n`,
          );
      } finally {
        await database.close();
      }
    });

  apps
    .command('list')
    .description('list apps')
    .action(async () => {
      const config = cliConfig();
      const database = await openDatabase(config.database);
      try {
        await migrateToLatest(database);
        const store = new KyselyAppStore(database.db);
        let afterId: string | undefined;
        for (;;) {
          const page = await store.listApps({ limit: 500, ...(afterId ? { afterId } : {}) });
          for (const app of page) process.stdout.write(`${app.id}  ${app.name}\n`);
          if (page.length < 500) break;
          afterId = page.at(-1)?.id;
        }
      } finally {
        await database.close();
      }
    });
}
