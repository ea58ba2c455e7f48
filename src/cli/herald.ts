#!/usr/bin/env node
import { Command } from 'commander';
import { HERALD_VERSION } from '../main.js';
import { registerAppsCommand } from './commands/apps-command.js';
import { registerCampaignsCommand } from './commands/campaigns-command.js';
import { registerImportCommand } from './commands/import-command.js';
import { registerMigrateCommand } from './commands/migrate-command.js';
import { registerOptOutsCommand } from './commands/opt-outs-command.js';
import { registerSandboxCommand } from './commands/sandbox-command.js';
import { registerSendCommand } from './commands/send-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerWorkerCommand } from './commands/worker-command.js';

const program = new Command('herald')
  .description('Herald: self-hosted customer messaging over WhatsApp, LINE, SMS and custom channels')
  .version(HERALD_VERSION);

registerServeCommand(program);
registerSendCommand(program);
registerWorkerCommand(program);
registerMigrateCommand(program);
registerAppsCommand(program);
registerImportCommand(program);
registerCampaignsCommand(program);
registerOptOutsCommand(program);
registerSandboxCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`herald: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
