import { createHttpPools, type HttpPoolOptions } from '../runtime/undici-http-pools.js';
import { type ApiClient, ApiError, apiTarget, createApiClient } from './api-client.js';
import { cliConfig } from './cli-config.js';

/**
 * What a CLI client command of a running Herald writes to and calls through.
 *
 * @example
 * { api, out: process.stdout, progress: process.stderr }
 */
export interface ApiCommandIo {
  readonly api: ApiClient;
  /** Results and summaries. */
  readonly out: NodeJS.WritableStream;
  /** Progress bars (drawn only on a terminal). */
  readonly progress: NodeJS.WritableStream;
}

/**
 * Runs a CLI command against Herald's API (`--url`, `--api-key` or the configuration): opens the HTTP pool, closes
 * it whatever happens, and turns Herald's error answers into the one-line message the CLI prints.
 *
 * @example
 * process.exitCode = await withApiClient(flags, (io) => listOptOuts(flags.app, io));
 */
export async function withApiClient<T>(
  flags: { url?: string | undefined; apiKey?: string | undefined },
  run: (io: ApiCommandIo) => Promise<T>,
  poolOptions: HttpPoolOptions = { connections: 2 },
): Promise<T> {
  const config = cliConfig();
  const pools = createHttpPools(poolOptions);
  try {
    return await run({
      api: createApiClient({ ...apiTarget(config, flags), pools }),
      out: process.stdout,
      progress: process.stderr,
    });
  } catch (error) {
    if (error instanceof ApiError) throw new Error(error.describe());
    throw error;
  } finally {
    await pools.close();
  }
}
