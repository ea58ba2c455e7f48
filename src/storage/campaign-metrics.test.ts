import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { testProviderIds } from '../../test/helpers/test-provider-ids.js';
import type { EnqueueItem } from '../ports/send-queue.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyCampaignMetrics } from './campaign-metrics.js';
import { KyselyCampaignQueueControl } from './campaign-queue-control.js';
import { KyselyConversationStore } from './conversation-store.js';
import { KyselySendQueue } from './send-queue.js';

const T0 = 1_800_000_000_000;

function item(
  id: string,
  activityId: string,
  endpointId: string,
  treatmentId = '0',
  createdAt = T0,
): EnqueueItem {
  return {
    message: {
      id,
      appId: 'a1',
      channelId: 'wa',
      channelType: 'WHATSAPP',
      senderKey: 'whatsapp-cloud:1',
      recipientHash: `h-${endpointId}`,
      endpointId,
      source: 'campaign',
      contentKind: 'text',
      status: 'queued',
      campaignId: 'c1',
      activityId,
      treatmentId,
      createdAt,
    },
    job: {
      payload: { appId: 'a1', channelId: 'wa', to: '+16505551234', content: { kind: 'text', text: 'hi' } },
      runAt: createdAt,
      state: 'ready',
    },
  };
}

describeEachDatabase('campaign metrics and queue control', (db) => {
  let queue: KyselySendQueue;
  let metrics: KyselyCampaignMetrics;
  let control: KyselyCampaignQueueControl;
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
    queue = new KyselySendQueue(db().db, db().dialect, testProviderIds);
    metrics = new KyselyCampaignMetrics(db().db);
    control = new KyselyCampaignQueueControl(db().db);
  });

  it('counts an activity’s messages by treatment, status and failure code', async () => {
    await queue.enqueue([
      item('m1', 'act1', 'e1'),
      item('m2', 'act1', 'e2', '1'),
      item('m3', 'act1', 'e3', '1'),
    ]);
    // The same (activity, endpoint) again creates nothing: the fan-out's resume guarantee.
    const again = await queue.enqueue([item('m9', 'act1', 'e1')]);
    expect(again[0]).toMatchObject({ created: false, messageId: 'm1' });
    const claimed = await queue.claim('whatsapp-cloud:1', {
      limit: 10,
      now: T0,
      leaseMs: 1000,
      workerId: 'w',
    });
    const byId = new Map(claimed.map((j) => [j.messageId, j]));
    await queue.settle(
      [
        { kind: 'sent', job: byId.get('m1')!, providerMessageId: 'p1' },
        { kind: 'failed', job: byId.get('m2')!, error: { code: '131026', message: 'undeliverable' } },
      ],
      T0 + 1,
    );
    const rows = await metrics.countByActivity('c1', ['act1'], { byTreatment: true });
    expect(rows.map((r) => [r.treatmentId, r.status, r.errorCode, r.count]).sort()).toEqual(
      [
        ['0', 'sent_for_delivery', null, 1],
        ['1', 'failed', '131026', 1],
        ['1', 'queued', null, 1],
      ].sort(),
    );
    // Without treatments, the uncoded statuses come from the index alone, under treatment "0".
    const plain = await metrics.countByActivity('c1', ['act1'], { byTreatment: false });
    expect(plain.map((r) => [r.treatmentId, r.status, r.errorCode, r.count]).sort()).toEqual(
      [
        ['0', 'queued', null, 1],
        ['0', 'sent_for_delivery', null, 1],
        ['1', 'failed', '131026', 1],
      ].sort(),
    );
    expect(await metrics.countByActivity('other', ['act1'], { byTreatment: true })).toEqual([]);
    expect(await metrics.hasPending('c1', 'act1')).toBe(true);
    expect(await metrics.hasPending('c1', 'act2')).toBe(false);
  });

  it('reads when recipients last wrote', async () => {
    const conversations = new KyselyConversationStore(db().db);
    await conversations.recordInbound({ senderKey: 's', recipientHash: 'h1', appId: 'a1', at: T0 });
    expect(Object.fromEntries(await metrics.lastInbound('s', ['h1', 'h2']))).toEqual({ h1: T0 });
  });

  it('pauses a run’s jobs (nothing is claimed), resumes them later, and ends the rest', async () => {
    await queue.enqueue([item('m1', 'act1', 'e1'), item('m2', 'act1', 'e2'), item('m3', 'act2', 'e3')]);
    expect(await control.pause('act1', T0)).toBe(2);
    const claimed = await queue.claim('whatsapp-cloud:1', {
      limit: 10,
      now: T0,
      leaseMs: 1000,
      workerId: 'w',
    });
    expect(claimed.map((j) => j.messageId)).toEqual(['m3']);
    await queue.settle([{ kind: 'sent', job: claimed[0]!, providerMessageId: 'p3' }], T0);
    expect(await control.resume('act1', 60_000)).toBe(2);
    expect(
      await queue.claim('whatsapp-cloud:1', { limit: 10, now: T0, leaseMs: 1000, workerId: 'w' }),
    ).toEqual([]);
    const later = await queue.claim('whatsapp-cloud:1', {
      limit: 1,
      now: T0 + 60_000,
      leaseMs: 1000,
      workerId: 'w',
    });
    expect(later.map((j) => j.messageId)).toEqual(['m1']);
    // m1 is held by a worker: it is left to finish; m2 is cancelled.
    expect(
      await control.end(
        'act1',
        'cancelled',
        { code: 'HERALD_CAMPAIGN_CANCELLED', message: 'x' },
        T0 + 60_001,
      ),
    ).toBe(1);
    const rows = await metrics.countByActivity('c1', ['act1'], { byTreatment: true });
    expect(rows.map((r) => [r.status, r.errorCode, r.count]).sort()).toEqual(
      [
        ['cancelled', 'HERALD_CAMPAIGN_CANCELLED', 1],
        ['queued', null, 1],
      ].sort(),
    );
  });
});
