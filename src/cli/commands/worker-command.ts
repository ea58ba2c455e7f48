import type { Command } from 'commander';
import { createHerald } from '../../main.js';
import { cliConfig, onShutdownSignal } from '../cli-config.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run the delivery workers only (senders, webhook processing, subscriptions); scale out on PostgreSQL',
    )
    .action(async () => {
      const config = cliConfig();
      const herald = await createHerald({ config, role: 'worker' });
      onShutdownSignal(() => herald.stop());
      herald.startWorkers();
      herald.logger.info({ workerId: herald.workerId, database: config.database.kind }, 'worker started');
    });
}
