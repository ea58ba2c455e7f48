import type { Pool } from 'undici';

/**
 * Keep-alive undici pools, one per origin, shared by every adapter that calls the same provider host.
 *
 * @example
 * const pool = http.pool('https://graph.facebook.com');
 * const res = await pool.request({ method: 'POST', path: '/v21.0/1065/messages', headers, body });
 */
export interface HttpPools {
  pool(origin: string): Pool;
  /**
   * Lets the requests in flight finish for up to `graceMs` (default 5 s), then aborts what is left: a peer that
   * never answers cannot hold a shutdown for the whole request timeout.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}
