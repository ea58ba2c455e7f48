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
  close(): Promise<void>;
}
