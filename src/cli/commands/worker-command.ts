import type { Command } from 'commander';
import { createHerald } from '../../main.js';
import { cliConfig, onShutdownSignal } from '../cli-config.js';
import { port } from '../option-parsers.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run the delivery workers only (senders, webhook processing, subscriptions); scale out on PostgreSQL',
    )
    .option(
      '--port <port>',
      'serve /metrics, /healthz and /readyz on this port (a worker counts its own sends and statuses)',
      port,
    )
    .option('--host <host>', 'address for --port (HERALD_HOST)')
    .action(async (flags: { port?: number; host?: string }) => {
      const config = cliConfig({ port: flags.port, host: flags.host }, { generateSecrets: true });
      const herald = await createHerald({ config, role: 'worker' });
      onShutdownSignal(() => herald.stop());
      // Only on request: a worker beside `serve` on one host would otherwise take HERALD_PORT from it.
      const url = flags.port === undefined ? undefined : await herald.listen();
      herald.startWorkers();
      if (config.database.kind === 'sqlite') {
        herald.logger.warn(
          { database: 'sqlite' },
          'on SQLite a worker shares the one database file with `serve`: it works, but adds no throughput, and its live events do not reach the event streams of `serve`; scale out on PostgreSQL',
        );
      }
      herald.logger.info(
        {
          workerId: herald.workerId,
          database: config.database.kind,
          ...(url ? { metrics: `${url}/metrics` } : {}),
        },
        'worker started',
      );
    });
}
