import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiClient, ApiError, createApiClient } from '../../src/cli/api-client.js';
import { launchCampaign, watchCampaign } from '../../src/cli/commands/campaigns-command.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { campaignApp, helloWorldTemplate, phone } from '../campaigns/campaign-harness.js';
import { type LiveHerald, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

/** The CLI against a Herald on a real socket with the sandbox mounted, as in use. */
describeEachDatabase('herald campaigns launch and watch', (db) => {
  let live: LiveHerald;
  let dir: string;
  const pools = createHttpPools({ connections: 2 });
  afterAll(() => pools.close());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
    live = await startLiveHerald(db());
  });
  afterEach(async () => {
    await live.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const output = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    return { stream, text: () => text };
  };

  it('launches a campaign from a JSON file and watches its run to the end', async () => {
    const app = await campaignApp(live);
    const items = [0, 1, 2].map((i) => ({ id: `e${i}`, channelType: 'WHATSAPP', address: phone(i) }));
    await app.call('PUT', '/endpoints', {
      items: [...items, { id: 'sms', channelType: 'SMS', address: phone(9) }],
    });
    const segmentId = (await app.call('POST', '/segments', { name: 'all' })).body.id;
    const templateId = await helloWorldTemplate(app);
    const file = path.join(dir, 'campaign.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ name: 'from the CLI', segmentId, message: { channelType: 'WHATSAPP', templateId } }),
    );
    const api = createApiClient({
      baseUrl: live.url,
      credential: app.headers.authorization!.slice(7),
      pools,
    });
    const out = output();
    const progress = output();
    const io = { api, out: out.stream, progress: progress.stream, pollMs: 50 };
    const campaignId = await launchCampaign({ file, appId: app.appId }, io);
    expect(out.text()).toContain(`Campaign ${campaignId} "from the CLI" is SCHEDULED`);
    expect(out.text()).toContain(`herald campaigns watch ${campaignId} --app ${app.appId}`);

    const code = await watchCampaign({ appId: app.appId, campaignId }, io);
    expect(code).toBe(0);
    const summary = out.text();
    expect(summary).toMatch(/Run \w+ \(schedule, scheduled .+\) COMPLETED/);
    expect(summary).toContain('endpoints 4, held out 0, queued 3 · sent 3');
    expect(summary).toContain('skipped: other_channel 1');
    expect(summary).toContain('Campaign COMPLETED');
  });

  it('reports a bad file and Herald’s refusals with their code and field', async () => {
    const app = await campaignApp(live);
    const api = createApiClient({
      baseUrl: live.url,
      credential: app.headers.authorization!.slice(7),
      pools,
    });
    const io = { api, out: new PassThrough(), progress: new PassThrough(), pollMs: 10 };
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{ "name": ');
    await expect(launchCampaign({ file: broken, appId: app.appId }, io)).rejects.toThrow(broken);
    const invalid = path.join(dir, 'invalid.json');
    fs.writeFileSync(
      invalid,
      JSON.stringify({ name: 'x', segmentId: 'nope', message: { channelType: 'SMS', text: 'x' } }),
    );
    const error = await launchCampaign({ file: invalid, appId: app.appId }, io).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).describe()).toContain('HERALD_VALIDATION_FAILED (segmentId)');
    const missing = await watchCampaign({ appId: app.appId, campaignId: 'nope' }, io).catch(
      (e: unknown) => e,
    );
    expect((missing as ApiError).code).toBe('HERALD_NOT_FOUND');
  });
});

describe('herald campaigns watch against a run that ends between two polls', () => {
  it('prints the campaign state that came with the finished run, not an older one', async () => {
    // Herald ends a run and moves its campaign in one transaction; here that commit lands as the CLI reads the
    // run, which is where the race sat when the campaign was read first.
    let ended = false;
    let activityReads = 0;
    const run = {
      id: 'r1',
      trigger: 'schedule',
      scheduledStart: '2026-11-21T10:00:00.000Z',
      fanOutDone: true,
      totalEndpoints: 1,
      holdout: 0,
      skipped: {},
      queued: 1,
      pending: 0,
      sent: 1,
      delivered: 1,
      read: 1,
      failed: {},
      expired: 0,
      cancelled: 0,
    };
    const api: ApiClient = {
      baseUrl: 'http://herald.invalid',
      request: async <T>(_method: string, path: string): Promise<T> => {
        if (path.endsWith('/activities')) {
          activityReads += 1;
          if (activityReads === 2) ended = true;
          return { items: [{ ...run, state: ended ? 'COMPLETED' : 'RUNNING' }] } as T;
        }
        return {
          id: 'c1',
          name: 'race',
          state: ended ? 'COMPLETED' : 'EXECUTING',
          nextRunAt: null,
          schedule: { frequency: 'ONCE' },
        } as T;
      },
    };
    let text = '';
    const out = new PassThrough().on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const code = await watchCampaign(
      { appId: 'a1', campaignId: 'c1' },
      { api, out, progress: new PassThrough(), sleep: async () => {} },
    );
    expect(code).toBe(0);
    expect(text).toContain('Run r1 (schedule, scheduled 2026-11-21T10:00:00.000Z) COMPLETED');
    expect(text).toContain('Campaign COMPLETED');
  });
});
