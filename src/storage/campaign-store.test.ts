import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { type Campaign, type CampaignActivity, EMPTY_PROGRESS } from '../domain/campaign.js';
import type { StoredChannel } from '../ports/channel-store.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyCampaignStore } from './campaign-store.js';
import { KyselyChannelStore } from './channel-store.js';

const T0 = 1_800_000_000_000;

const campaign = (id: string, overrides: Partial<Campaign> = {}): Campaign => ({
  appId: 'a1',
  id,
  version: 1,
  name: `campaign ${id}`,
  segmentId: 's1',
  treatments: [
    {
      id: '0',
      sizePercent: 100,
      message: {
        channelType: 'WHATSAPP',
        templateId: 'tpl-1',
        variables: { 'body.1': { field: 'Address' } },
      },
    },
  ],
  schedule: { startTime: T0, frequency: 'DAILY', isLocalTime: false },
  limits: { daily: 1 },
  holdoutPercent: 10,
  state: 'SCHEDULED',
  nextRunAt: T0,
  runs: 0,
  createdAt: T0 - 1000,
  updatedAt: T0 - 1000,
  ...overrides,
});

const managedChannel = (campaignId: string, treatmentId: string, deliveryUri: string): StoredChannel => ({
  appId: 'a1',
  id: `campaign-${campaignId}-${treatmentId}`,
  provider: 'custom',
  channelType: 'CUSTOM',
  sender: { name: `campaign-${campaignId}-${treatmentId}` },
  options: { deliveryUri },
  limits: { messagesPerSecond: 1000 },
  senderKey: `custom:campaign-${campaignId}-${treatmentId}`,
  sealedCredentials: 'sealed',
  createdAt: T0,
  updatedAt: T0,
});

const activity = (id: string, campaignId: string, triggerKey: string): CampaignActivity => ({
  appId: 'a1',
  id,
  campaignId,
  campaignVersion: 1,
  triggerKey,
  trigger: 'schedule',
  state: 'RUNNING',
  scheduledStart: T0,
  startedAt: null,
  endedAt: null,
  fanOutDone: false,
  cursor: null,
  progress: EMPTY_PROGRESS,
  pausedAt: null,
  createdAt: T0,
  updatedAt: T0,
});

describeEachDatabase('KyselyCampaignStore', (db) => {
  let store: KyselyCampaignStore;
  beforeEach(async () => {
    await new KyselyAppStore(db().db).createApp(
      { id: 'a1', name: 'a', createdAt: 1 },
      {
        id: 'k1',
        appId: 'a1',
        name: 'k',
        hint: 'k1',
        createdAt: 1,
        secretHash: 'ab'.repeat(32),
      },
    );
    store = new KyselyCampaignStore(db().db);
  });

  it('keeps the definition, updates only from the expected version, and finds template users', async () => {
    const c = campaign('c1');
    await store.create(c);
    expect(await store.get('a1', 'c1')).toEqual(c);
    expect(await store.update({ ...c, version: 2, name: 'renamed' }, 1)).toBe(true);
    expect(await store.update({ ...c, version: 2, name: 'lost' }, 1)).toBe(false);
    expect((await store.get('a1', 'c1'))?.name).toBe('renamed');
    expect((await store.usingTemplate('a1', 'tpl-1')).map((x) => x.id)).toEqual(['c1']);
    expect(await store.usingTemplate('a1', 'tpl')).toEqual([]);
    await store.setState('a1', 'c1', ['SCHEDULED'], 'COMPLETED', T0);
    expect(await store.usingTemplate('a1', 'tpl-1')).toEqual([]);
    expect(await store.get('a1', 'c1')).toMatchObject({ state: 'COMPLETED', nextRunAt: null });
  });

  it('stores the channels a campaign manages with it, changes none of them for a version that lost, and deletes them with it', async () => {
    const channels = new KyselyChannelStore(db().db);
    const c = campaign('c1');
    await store.create(c, [managedChannel('c1', '0', 'https://first.example')]);
    expect((await channels.get('a1', 'campaign-c1-0'))?.options).toEqual({
      deliveryUri: 'https://first.example',
    });

    const lost = managedChannel('c1', '0', 'https://lost.example');
    expect(
      await store.update({ ...c, version: 3, name: 'lost' }, 2, { put: [lost], remove: ['campaign-c1-0'] }),
    ).toBe(false);
    expect((await channels.get('a1', 'campaign-c1-0'))?.options).toEqual({
      deliveryUri: 'https://first.example',
    });
    expect((await store.get('a1', 'c1'))?.version).toBe(1);

    const won = [
      managedChannel('c1', '0', 'https://second.example'),
      managedChannel('c1', '1', 'https://third.example'),
    ];
    expect(await store.update({ ...c, version: 2 }, 1, { put: won, remove: [] })).toBe(true);
    expect((await channels.list('a1')).map((ch) => [ch.id, ch.options.deliveryUri])).toEqual([
      ['campaign-c1-0', 'https://second.example'],
      ['campaign-c1-1', 'https://third.example'],
    ]);
    // A version that uses treatment 1's channel only: treatment 0's goes with it.
    expect(
      await store.update({ ...c, version: 3 }, 2, {
        put: [managedChannel('c1', '1', 'https://third.example')],
        remove: ['campaign-c1-0', 'campaign-c1-4'],
      }),
    ).toBe(true);
    expect((await channels.list('a1')).map((ch) => ch.id)).toEqual(['campaign-c1-1']);
    expect(await store.delete('a1', 'c1', ['campaign-c1-0', 'campaign-c1-1'])).toBe(true);
    expect(await channels.list('a1')).toEqual([]);
  });

  it('starts a due run once, however many workers try', async () => {
    await store.create(campaign('c1'));
    await store.create(campaign('c2', { nextRunAt: T0 + 60_000 }));
    const due = await store.dueCampaigns(T0, 10);
    expect(due.map((c) => c.id)).toEqual(['c1']);
    const seen = due[0] as Campaign;
    const results = await Promise.all(
      ['x1', 'x2', 'x3'].map((id) =>
        store.startRun(seen, { activity: activity(id, 'c1', 'run:1'), nextRunAt: T0 + 86_400_000 }),
      ),
    );
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    const after = await store.get('a1', 'c1');
    expect(after).toMatchObject({ state: 'EXECUTING', runs: 1, nextRunAt: T0 + 86_400_000 });
    expect(await store.listActivities('a1', 'c1', { limit: 10 })).toHaveLength(1);
    expect(await store.addActivity(activity('y', 'c1', 'run:1'))).toBe(false);
    expect(await store.addActivity(activity('z', 'c1', 'event:1'))).toBe(true);
  });

  it('leases a run to one worker, saves its progress only while held, and hands it over when the lease ends', async () => {
    await store.create(campaign('c1'));
    await store.addActivity(activity('act', 'c1', 'run:1'));
    expect((await store.activitiesToFanOut(T0, 10)).map((a) => a.id)).toEqual(['act']);
    expect(await store.leaseActivity('act', 'w1', T0, 1000)).toBe(true);
    expect(await store.leaseActivity('act', 'w2', T0 + 500, 1000)).toBe(false);
    expect(await store.activitiesToFanOut(T0 + 500, 10)).toEqual([]);
    const progress = { ...EMPTY_PROGRESS, totalEndpoints: 3, skipped: { opted_out: 1 } };
    expect(
      await store.saveProgress('act', 'w2', { cursor: 'e3', progress, fanOutDone: false }, T0 + 500),
    ).toBe(false);
    expect(
      await store.saveProgress(
        'act',
        'w1',
        { cursor: 'e3', progress, fanOutDone: false, startedAt: T0 },
        T0 + 500,
      ),
    ).toBe(true);
    // w1 died: after its lease, w2 takes over and sees where w1 was.
    expect(await store.leaseActivity('act', 'w2', T0 + 1001, 1000)).toBe(true);
    expect(await store.getActivity('a1', 'act')).toMatchObject({ cursor: 'e3', progress, startedAt: T0 });
    await store.saveProgress('act', 'w2', { cursor: 'e9', progress, fanOutDone: true }, T0 + 1100);
    expect((await store.activitiesFannedOut(10)).map((a) => a.id)).toEqual(['act']);
    expect(
      await store.setActivityState({ appId: 'a1', campaignId: 'c1' }, ['RUNNING'], 'COMPLETED', T0 + 2000),
    ).toEqual(['act']);
    expect(await store.getActivity('a1', 'act')).toMatchObject({ state: 'COMPLETED', endedAt: T0 + 2000 });
    expect(await store.activitiesFannedOut(10)).toEqual([]);
  });

  it('completes a run and moves its campaign on in the same step, once its last open run is done', async () => {
    await store.create(campaign('once', { state: 'EXECUTING', nextRunAt: null }));
    await store.create(campaign('daily', { state: 'EXECUTING', nextRunAt: T0 + 86_400_000 }));
    await store.create(
      campaign('ev', {
        state: 'EXECUTING',
        schedule: { startTime: T0, frequency: 'EVENT', isLocalTime: false },
      }),
    );
    await store.addActivity(activity('o1', 'once', 'run:1'));
    await store.addActivity(activity('o2', 'once', 'run:2'));
    await store.addActivity(activity('d1', 'daily', 'run:1'));
    await store.addActivity(activity('e1', 'ev', 'event:1'));
    const ref = (id: string, campaignId: string) => ({ appId: 'a1', campaignId, id });

    expect(await store.completeRun(ref('o1', 'once'), T0 + 10)).toBe(true);
    expect(await store.completeRun(ref('o1', 'once'), T0 + 20)).toBe(false);
    expect(await store.getActivity('a1', 'o1')).toMatchObject({ state: 'COMPLETED', endedAt: T0 + 10 });
    expect((await store.get('a1', 'once'))?.state).toBe('EXECUTING');
    expect(await store.completeRun(ref('o2', 'once'), T0 + 30)).toBe(true);
    expect((await store.get('a1', 'once'))?.state).toBe('COMPLETED');

    expect(await store.completeRun(ref('d1', 'daily'), T0 + 40)).toBe(true);
    expect((await store.get('a1', 'daily'))?.state).toBe('PENDING_NEXT_RUN');
    expect(await store.completeRun(ref('e1', 'ev'), T0 + 50)).toBe(true);
    expect((await store.get('a1', 'ev'))?.state).toBe('EXECUTING');
  });

  it('lists EXECUTING event campaigns, and deletes a campaign with its activities', async () => {
    await store.create(
      campaign('ev', {
        schedule: { startTime: T0, frequency: 'EVENT', isLocalTime: false },
        state: 'EXECUTING',
      }),
    );
    await store.create(campaign('c1'));
    expect((await store.eventCampaigns('a1')).map((c) => c.id)).toEqual(['ev']);
    await store.addActivity(activity('act', 'ev', 'event:1'));
    expect(await store.delete('a1', 'ev')).toBe(true);
    expect(await store.getActivity('a1', 'act')).toBeUndefined();
    expect(await store.delete('a1', 'ev')).toBe(false);
  });

  it('counts a limited campaign’s messages per endpoint, once per run, leaving out the run being fanned out', async () => {
    await store.recordSends('c1', [
      { endpointId: 'e1', activityId: 'act1', at: T0 - 2 * 86_400_000 },
      { endpointId: 'e1', activityId: 'act2', at: T0 - 1000 },
      { endpointId: 'e2', activityId: 'act2', at: T0 - 1000 },
      { endpointId: 'e1', activityId: 'act3', at: T0 },
    ]);
    // A resumed page records its messages again: nothing changes.
    await store.recordSends('c1', [{ endpointId: 'e1', activityId: 'act2', at: T0 }]);
    await store.recordSends('other', [{ endpointId: 'e1', activityId: 'x', at: T0 }]);
    const counts = await store.sendsPerEndpoint('c1', ['e1', 'e2', 'e3'], {
      since: T0 - 86_400_000,
      excludeActivityId: 'act3',
    });
    expect(Object.fromEntries(counts)).toEqual({ e1: { total: 2, recent: 1 }, e2: { total: 1, recent: 1 } });
  });
});
