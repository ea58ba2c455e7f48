import type { Command } from 'commander';
import Fastify from 'fastify';
import { systemClock } from '../../runtime/system-clock.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createSandbox } from '../../sandbox/create-sandbox.js';
import { onShutdownSignal } from '../cli-config.js';
import { httpUrl, integer, port } from '../option-parsers.js';

export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('run the provider simulators alone (WhatsApp, AWS End User Messaging, LINE, Twilio, custom)')
    .option('--port <port>', 'port to listen on', port, 4010)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'URL the sandbox is reached at (default http://host:port)', httpUrl)
    .option('--seed <n>', 'seed for injected faults and delays', integer, 24601)
    .action(async (flags: { port: number; host: string; publicUrl?: string; seed: number }) => {
      const { port } = flags;
      let publicUrl = flags.publicUrl ?? `http://${flags.host}:${port}`;
      const http = createHttpPools();
      const sandbox = createSandbox({
        clock: systemClock,
        http,
        publicUrl: () => publicUrl,
        seed: flags.seed,
      });
      const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
      await app.register(sandbox.plugin);
      onShutdownSignal(async () => {
        await app.close();
        sandbox.close();
        // A webhook to a receiver that does not answer is dropped: the sandbox's state ends with it anyway.
        await http.close({ graceMs: 1_000 });
      });
      await app.listen({ host: flags.host, port });
      const address = app.server.address();
      if (!flags.publicUrl && typeof address === 'object' && address)
        publicUrl = `http://${flags.host}:${address.port}`;
      const lines = [`Herald sandbox at ${publicUrl}  (conversations: ${publicUrl}/)`];
      for (const provider of sandbox.providers)
        lines.push(`  ${provider.title.padEnd(34)} ${publicUrl}/${provider.name}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
