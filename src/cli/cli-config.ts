import fs from 'node:fs';
import { ConfigError, type HeraldConfig, loadConfig } from '../config/load-config.js';

/**
 * Loads the configuration for a command, or stops the process with the message that names the bad variable.
 * `overrides` are command-line flags (`--port`), which win over the environment. Only the processes that run Herald
 * (`serve`, `worker`) generate its admin token and secret key when none is configured; every other command reads
 * them if they are there and never leaves new ones behind (`herald migrate` run from another directory did).
 */
export function cliConfig(
  overrides: Record<string, unknown> = {},
  options: { generateSecrets?: boolean } = {},
): HeraldConfig {
  try {
    return loadConfig({
      env: process.env,
      cwd: process.cwd(),
      fs,
      overrides,
      generateSecrets: options.generateSecrets === true,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`herald: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/** Stops `stop` on SIGINT/SIGTERM, once; a second signal exits at once. */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    process.stderr.write(`herald: ${signal}, stopping (again to force)\n`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`herald: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
