import type { Command } from 'commander';
import { migrateToLatest } from '../../storage/migrate.js';
import { openDatabase } from '../../storage/open-database.js';
import { cliConfig } from '../cli-config.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date (serve and worker also do this on start)')
    .action(async () => {
      const config = cliConfig();
      const database = await openDatabase(config.database);
      try {
        const result = await migrateToLatest(database);
        const applied = result.results ?? [];
        if (applied.length === 0) process.stdout.write('schema is up to date\n');
        for (const r of applied)
          process.stdout.write(`${r.status === 'Success' ? 'applied' : r.status} ${r.migrationName}\n`);
      } finally {
        await database.close();
      }
    });
}
