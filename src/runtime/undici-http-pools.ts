import { Pool } from 'undici';
import type { HttpPools } from '../ports/http-pools.js';

export interface HttpPoolOptions {
  /** Connections per origin. */
  readonly connections?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
}

/** One keep-alive `Pool` per origin, created on first use. */
export function createHttpPools(options: HttpPoolOptions = {}): HttpPools {
  const pools = new Map<string, Pool>();
  return {
    pool(origin: string): Pool {
      const key = new URL(origin).origin;
      let pool = pools.get(key);
      if (!pool) {
        pool = new Pool(key, {
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
    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}
