import type { Command } from 'commander';
import { createHerald } from '../../main.js';
import { cliConfig, onShutdownSignal } from '../cli-config.js';
import { port } from '../option-parsers.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API, webhooks and workers in one process')
    .option('--port <port>', 'port to listen on (HERALD_PORT)', port)
    .option('--host <host>', 'address to listen on (HERALD_HOST)')
    .option('--sandbox', 'mount the provider sandboxes in this process (demo, tests)')
    .option('--demo', 'create a demo app whose channels point at the sandboxes')
    .action(async (flags: { port?: number; host?: string; sandbox?: boolean; demo?: boolean }) => {
      const config = cliConfig({ port: flags.port, host: flags.host }, { generateSecrets: true });
      const herald = await createHerald({
        config,
        role: 'serve',
        sandbox: flags.sandbox === true,
        demo: flags.demo === true,
      });
      onShutdownSignal(() => herald.stop());
      const url = await herald.listen();
      if (config.delivery.workers) herald.startWorkers();
      const lines = [
        '',
        `  Herald is running at ${url}`,
        `  API reference:   ${url}/docs`,
        `  Database:        ${config.database.kind === 'sqlite' ? config.database.path : 'PostgreSQL'}`,
      ];
      if (config.generated.adminToken || flags.demo) {
        lines.push(
          `  Admin token:     ${config.adminToken}${config.generated.adminToken ? "   (generated now, into the data directory's admin-token file)" : ''}`,
        );
      } else {
        lines.push("  Admin token:     HERALD_ADMIN_TOKEN or the data directory's admin-token file");
      }
      if (herald.demo) {
        lines.push(`  Demo app:        ${herald.demo.appId}`, `  Demo API key:    ${herald.demo.apiKey}`);
      }
      lines.push('');
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
