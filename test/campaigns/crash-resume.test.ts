import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { CampaignRunner } from '../../src/app/campaigns/campaign-runner.js';
import { ChannelDirectory } from '../../src/app/channels/channel-directory.js';
import { createRecipientHasher } from '../../src/app/delivery/recipient-hasher.js';
import { CHANNEL_PROVIDERS } from '../../src/channels/registry.js';
import type { CampaignStore } from '../../src/ports/campaign-store.js';
import type { SendQueue } from '../../src/ports/send-queue.js';
import { createAesGcmSecretBox } from '../../src/runtime/aes-gcm-secret-box.js';
import { createUlidGenerator } from '../../src/runtime/ulid-generator.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { KyselyCampaignMetrics } from '../../src/storage/campaign-metrics.js';
import { KyselyCampaignQueueControl } from '../../src/storage/campaign-queue-control.js';
import { KyselyCampaignStore } from '../../src/storage/campaign-store.js';
import { KyselyChannelStore } from '../../src/storage/channel-store.js';
import { KyselySegmentStore } from '../../src/storage/segment-store.js';
import { KyselySendQueue } from '../../src/storage/send-queue.js';
import { KyselyTemplateStore } from '../../src/storage/template-store.js';
import { type LiveHerald, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { quietLogger } from '../helpers/test-herald.js';
import { testProviderIds } from '../helpers/test-provider-ids.js';
import {
  activitiesWhen,
  type CampaignApp,
  campaignApp,
  helloWorldTemplate,
  phone,
  sandboxMessages,
} from './campaign-harness.js';

const AUDIENCE = 350;
const PAGE = 100;
const LEASE_MS = 30_000;

describeEachDatabase('a campaign killed in the middle of its fan-out and resumed', (db) => {
  let live: LiveHerald;
  let app: CampaignApp;
  const http = createHttpPools();
  beforeEach(async () => {
    live = await startLiveHerald(db());
    // This process's own scheduler waits: the test plays two workers, the first of which dies.
    await live.herald.campaignRunner.stop();
    app = await campaignApp(live, { messagesPerSecond: 1000, sandboxMessagesPerSecond: 2000 });
  });
  afterEach(async () => {
    await live.stop();
  });
  afterAll(() => http.close());

  /** A worker process's campaign scheduler on the same database. */
  function worker(workerId: string, overrides: { queue?: SendQueue; campaigns?: CampaignStore } = {}) {
    const database = db();
    const { config } = live.herald;
    const directory = new ChannelDirectory({
      channels: new KyselyChannelStore(database.db),
      secrets: createAesGcmSecretBox(config.secretKey),
      providers: CHANNEL_PROVIDERS,
      adapterDeps: { http, clock: live.clock, logger: quietLogger, customFunctions: {}, snsCertHosts: [] },
      publicUrl: () => live.url,
      clock: live.clock,
    });
    return new CampaignRunner({
      campaigns: overrides.campaigns ?? new KyselyCampaignStore(database.db),
      segments: new KyselySegmentStore(database.db, database.dialect, live.clock),
      templates: new KyselyTemplateStore(database.db),
      metrics: new KyselyCampaignMetrics(database.db),
      control: new KyselyCampaignQueueControl(database.db),
      queue: overrides.queue ?? new KyselySendQueue(database.db, database.dialect, testProviderIds),
      directory,
      hasher: createRecipientHasher(config.secretKey),
      ids: createUlidGenerator(),
      clock: live.clock,
      logger: quietLogger,
      wake: () => {},
      options: {
        workerId,
        pageSize: PAGE,
        leaseMs: LEASE_MS,
        sliceMs: 60_000,
        idleMs: 50,
        completionCheckMs: 0,
      },
    });
  }

  it('messages every endpoint exactly once, counting each once, after a worker dies between a page’s enqueue and its save', async () => {
    const items = Array.from({ length: AUDIENCE }, (_, i) => ({
      id: `ep-${String(i).padStart(4, '0')}`,
      channelType: 'WHATSAPP',
      address: phone(i),
    }));
    for (let i = 0; i < items.length; i += 100)
      expect((await app.call('PUT', '/endpoints', { items: items.slice(i, i + 100) })).status).toBe(200);
    const segmentId = (await app.call('POST', '/segments', { name: 'all' })).body.id;
    const templateId = await helloWorldTemplate(app);
    const created = await app.call('POST', '/campaigns', {
      name: 'resumed',
      segmentId,
      message: { channelType: 'WHATSAPP', templateId },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // Worker A writes its third page's messages, then dies before it saves the page (and never releases the lease).
    const database = db();
    const realQueue = new KyselySendQueue(database.db, database.dialect, testProviderIds);
    let enqueues = 0;
    const dyingQueue: SendQueue = Object.assign(Object.create(realQueue) as SendQueue, {
      async enqueue(batch: Parameters<SendQueue['enqueue']>[0]) {
        enqueues += 1;
        const result = await realQueue.enqueue(batch);
        if (enqueues === 3) throw new Error('killed');
        return result;
      },
    });
    const realCampaigns = new KyselyCampaignStore(database.db);
    const deadCampaigns: CampaignStore = Object.assign(Object.create(realCampaigns) as CampaignStore, {
      releaseActivity: async () => {},
    });
    const a = worker('worker-a', { queue: dyingQueue, campaigns: deadCampaigns });
    expect(await a.startDueRuns()).toBe(1);
    await expect(a.fanOut()).rejects.toThrow('killed');

    const [stopped] = (await app.call('GET', `/campaigns/${created.body.id}/activities`)).body.items;
    expect(stopped).toMatchObject({
      state: 'RUNNING',
      fanOutDone: false,
      totalEndpoints: 2 * PAGE,
      queued: 3 * PAGE,
    });

    // Worker B finds the run leased until A's lease runs out, then takes it over where A last saved.
    const b = worker('worker-b');
    expect(await b.fanOut()).toBe(0);
    live.clock.advance(LEASE_MS + 1_000);
    expect(await b.fanOut()).toBeGreaterThan(0);

    const [resumed] = (await app.call('GET', `/campaigns/${created.body.id}/activities`)).body.items;
    expect(resumed).toMatchObject({
      fanOutDone: true,
      totalEndpoints: AUDIENCE,
      queued: AUDIENCE,
      skipped: {},
    });
    expect(resumed.treatments).toMatchObject([{ treatmentId: '0', endpoints: AUDIENCE, queued: AUDIENCE }]);

    // The sandbox received each endpoint's message once.
    live.herald.campaignRunner.start();
    const [done] = await activitiesWhen(
      app,
      created.body.id,
      (i) => i[0]?.state === 'COMPLETED',
      'the run to complete',
      30_000,
    );
    expect(done).toMatchObject({ queued: AUDIENCE, sent: AUDIENCE, pending: 0, failed: {} });
    const sent = await sandboxMessages(live, app.phoneNumberId);
    expect(sent).toHaveLength(AUDIENCE);
    expect(new Set(sent.map((m) => m.to)).size).toBe(AUDIENCE);
  });
});
