import { Pool } from 'undici';
import type { HttpPools } from '../ports/http-pools.js';
import { publicOnlyLookup, refuseNonPublicLiteral } from './public-destination.js';

export interface HttpPoolOptions {
  /** Connections per origin. */
  readonly connections?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  /**
   * Connect only to public addresses (HERALD_OUTBOUND_DESTINATIONS=public): an app's key can point a channel or a
   * subscription at any URL, and without this Herald would call its own network's services for it.
   */
  readonly publicOnly?: boolean;
}

/** One keep-alive `Pool` per origin, created on first use. */
export function createHttpPools(options: HttpPoolOptions = {}): HttpPools {
  const pools = new Map<string, Pool>();
  return {
    pool(origin: string): Pool {
      const key = new URL(origin).origin;
      let pool = pools.get(key);
      if (!pool) {
        // An address written in the URL is not looked up, so it is checked here; names are checked as they resolve.
        if (options.publicOnly) refuseNonPublicLiteral(new URL(key).hostname);
        pool = new Pool(key, {
          ...(options.publicOnly ? { connect: { lookup: publicOnlyLookup } } : {}),
          connections: options.connections ?? 64,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: options.headersTimeoutMs ?? 15_000,
          bodyTimeout: options.bodyTimeoutMs ?? 15_000,
        });
        pools.set(key, pool);
      }
      return pool;
    },
    async close({ graceMs = 5_000 } = {}): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      let timer: NodeJS.Timeout | undefined;
      const graceful = Promise.all(all.map((p) => p.close())).then(() => true);
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      });
      const finished = await Promise.race([graceful, late]);
      clearTimeout(timer);
      // destroy() fails the requests still in flight; their callers see an error, as for a cut connection.
      if (!finished) await Promise.all(all.map((p) => p.destroy()));
    },
  };
}
