import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { adminHeaders, createTestHerald } from '../helpers/test-herald.js';

/**
 * `herald worker --port`: a worker's own counters (sends, statuses, deliveries) are only in its process, so it
 * serves them; it serves nothing of the API.
 */
describeEachDatabase('a worker’s server', (db) => {
  let worker: Herald;
  beforeEach(async () => {
    worker = await createTestHerald(db(), { role: 'worker' });
  });
  afterEach(() => worker.stop());

  it('answers health and metrics, and no API route', async () => {
    expect((await worker.server.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
    });
    expect((await worker.server.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
      status: 'ready',
    });
    const metrics = await worker.server.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('# HELP herald_sends_total');
    expect(metrics.body).toContain('# HELP herald_webhook_events_processed_total');
    const api = await worker.server.inject({ method: 'GET', url: '/v1/apps', headers: adminHeaders });
    expect(api.statusCode).toBe(404);
    expect(
      (await worker.server.inject({ method: 'POST', url: '/webhooks/a/b', payload: '{}' })).statusCode,
    ).toBe(404);
  });
});
