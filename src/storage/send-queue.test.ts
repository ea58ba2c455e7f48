import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { testProviderIds } from '../../test/helpers/test-provider-ids.js';
import type { EnqueueItem } from '../ports/send-queue.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyEventOutbox } from './event-outbox.js';
import { KyselyMessageLedger } from './message-ledger.js';
import { KyselySendQueue } from './send-queue.js';

const SENDER = 'whatsapp-cloud:111';
let seq = 0;

function item(
  overrides: Partial<EnqueueItem['message']> = {},
  state: 'ready' | 'held' = 'ready',
  runAt = 1_000,
): EnqueueItem {
  seq += 1;
  const id = `m${String(seq).padStart(6, '0')}`;
  return {
    message: {
      id,
      appId: 'app1',
      channelId: 'wa',
      channelType: 'WHATSAPP',
      senderKey: SENDER,
      recipientHash: 'r1',
      source: 'api',
      contentKind: 'text',
      status: state === 'held' ? 'awaiting_window' : 'queued',
      createdAt: 1_000,
      ...overrides,
    },
    job: {
      payload: { appId: 'app1', channelId: 'wa', to: '+15550001', content: { kind: 'text', text: 'hi' } },
      runAt,
      state,
    },
  };
}

describeEachDatabase('KyselySendQueue and KyselyMessageLedger', (db) => {
  let queue: KyselySendQueue;
  let ledger: KyselyMessageLedger;

  beforeEach(async () => {
    queue = new KyselySendQueue(db().db, db().dialect, testProviderIds);
    ledger = new KyselyMessageLedger(db().db, db().dialect, testProviderIds);
    await new KyselyAppStore(db().db).createApp(
      { id: 'app1', name: 'a', createdAt: 1 },
      {
        id: 'k1',
        appId: 'app1',
        name: 'k',
        hint: 'xxxx',
        createdAt: 1,
        secretHash: '00',
      },
    );
  });

  it('enqueues a message with its history and job, and honours idempotency keys', async () => {
    const first = item({ idempotencyKey: 'k-1', requestHash: 'h1' });
    const [created] = await queue.enqueue([first]);
    expect(created).toEqual({ messageId: first.message.id, status: 'queued', created: true });
    const again = item({ idempotencyKey: 'k-1', requestHash: 'h2' });
    const [repeat] = await queue.enqueue([again]);
    expect(repeat).toEqual({
      messageId: first.message.id,
      status: 'queued',
      created: false,
      requestHash: 'h1',
    });
    const stored = await ledger.get('app1', first.message.id);
    expect(stored?.history.map((h) => h.status)).toEqual(['queued']);
    expect(await ledger.get('app1', again.message.id)).toBeUndefined();
  });

  it('enqueues a campaign endpoint once per activity', async () => {
    const a = item({ activityId: 'act1', endpointId: 'e1', campaignId: 'c1', source: 'campaign' });
    const b = item({ activityId: 'act1', endpointId: 'e1', campaignId: 'c1', source: 'campaign' });
    const c = item({ activityId: 'act2', endpointId: 'e1', campaignId: 'c1', source: 'campaign' });
    const results = await queue.enqueue([a, b, c]);
    expect(results.map((r) => r.created)).toEqual([true, false, true]);
    expect(results[1]?.messageId).toBe(a.message.id);
  });

  it('gives a sender to one worker at a time, and to another when the lease runs out', async () => {
    expect(await queue.acquireLease(SENDER, 'w1', 1_000, 5_000)).toBe(true);
    expect(await queue.acquireLease(SENDER, 'w2', 2_000, 5_000)).toBe(false);
    expect(await queue.acquireLease(SENDER, 'w1', 3_000, 5_000)).toBe(true);
    expect(await queue.acquireLease(SENDER, 'w2', 7_000, 5_000)).toBe(false);
    expect(await queue.acquireLease(SENDER, 'w2', 8_001, 5_000)).toBe(true);
    await queue.releaseLease(SENDER, 'w2');
    expect(await queue.acquireLease(SENDER, 'w1', 8_002, 5_000)).toBe(true);
  });

  it('claims ready jobs oldest first, by lease, and hands back expired leases', async () => {
    const items = [item(), item(), item({}, 'ready', 50_000), item({}, 'held')];
    await queue.enqueue(items);
    expect(await queue.sendersWithWork(2_000)).toEqual([SENDER]);
    const claimed = await queue.claim(SENDER, { limit: 10, now: 2_000, leaseMs: 1_000, workerId: 'w1' });
    expect(claimed.map((j) => j.messageId)).toEqual([items[0]!.message.id, items[1]!.message.id]);
    expect(claimed[0]).toMatchObject({ attempts: 1, recipientHash: 'r1', payload: { to: '+15550001' } });
    expect(await queue.claim(SENDER, { limit: 10, now: 2_500, leaseMs: 1_000, workerId: 'w2' })).toEqual([]);
    expect(await queue.sendersWithWork(2_500)).toEqual([]);
    const reclaimed = await queue.claim(SENDER, { limit: 10, now: 3_001, leaseMs: 1_000, workerId: 'w2' });
    expect(reclaimed.map((j) => j.attempts)).toEqual([2, 2]);
    await queue.unclaim(reclaimed.map((j) => j.id));
    const again = await queue.claim(SENDER, { limit: 1, now: 3_002, leaseMs: 1_000, workerId: 'w2' });
    expect(again[0]?.attempts).toBe(2);
  });

  it('brings a whole recorded batch back with any of its members', async () => {
    const items = [item(), item(), item(), item()];
    await queue.enqueue(items);
    const first = await queue.claim(SENDER, { limit: 3, now: 2_000, leaseMs: 1_000, workerId: 'w1' });
    await queue.assignBatch(
      first.map((j) => j.id),
      'batch-1',
    );
    // The worker died; after the lease a claim of one job brings back all three, with their batch.
    const again = await queue.claim(SENDER, { limit: 1, now: 3_001, leaseMs: 1_000, workerId: 'w2' });
    expect(again.map((j) => [j.messageId, j.batchKey])).toEqual(first.map((j) => [j.messageId, 'batch-1']));
    const rest = await queue.claim(SENDER, { limit: 10, now: 3_002, leaseMs: 1_000, workerId: 'w2' });
    expect(rest.map((j) => j.messageId)).toEqual([items[3]!.message.id]);
    expect(rest[0]?.batchKey).toBeUndefined();
  });

  it('settles sends, retries, failures and holds, and releases or expires held messages', async () => {
    const items = [item(), item(), item(), item()];
    await queue.enqueue(items);
    const [a, b, c, d] = await queue.claim(SENDER, { limit: 10, now: 2_000, leaseMs: 60_000, workerId: 'w' });
    const outbox = new KyselyEventOutbox(db().db, db().dialect);
    const changes = await queue.settle(
      [
        { kind: 'sent', job: a!, providerMessageId: 'wamid.A' },
        { kind: 'retry', job: b!, runAt: 9_000, error: { code: '131000', message: 'boom' } },
        { kind: 'failed', job: c!, error: { code: '132001', message: 'no template' } },
        { kind: 'hold', job: d!, holdUntil: 20_000, error: { code: '131047', message: 'window' } },
      ],
      2_100,
      (list) =>
        list.map((change) => ({
          id: `ev-${change.messageId}-${change.status}`,
          subscriptionId: 'sub1',
          event: {
            id: `ev-${change.messageId}`,
            type: 'message.status' as const,
            appId: change.appId,
            occurredAt: change.at,
            data: { messageId: change.messageId, status: change.status, channelId: change.channelId },
          },
        })),
    );
    expect(changes.map((ch) => [ch.messageId, ch.status])).toEqual([
      [a!.messageId, 'sent_for_delivery'],
      [c!.messageId, 'failed'],
      [d!.messageId, 'awaiting_window'],
    ]);
    expect(
      (await outbox.claim({ limit: 10, now: 2_200, leaseMs: 1_000, workerId: 'w' })).map((e) => e.event.data),
    ).toHaveLength(3);

    expect(await ledger.get('app1', a!.messageId)).toMatchObject({
      status: 'sent_for_delivery',
      providerMessageId: 'wamid.A',
      attempts: 1,
    });
    expect(await ledger.get('app1', b!.messageId)).toMatchObject({
      status: 'queued',
      error: { code: '131000' },
    });
    expect(await ledger.get('app1', c!.messageId)).toMatchObject({
      status: 'failed',
      error: { code: '132001', message: 'no template' },
    });
    expect(await ledger.get('app1', d!.messageId)).toMatchObject({
      status: 'awaiting_window',
      holdUntil: 20_000,
    });

    // b comes back at its retry time; d is held, not claimable.
    expect(await queue.claim(SENDER, { limit: 10, now: 8_999, leaseMs: 1_000, workerId: 'w' })).toEqual([]);
    const retried = await queue.claim(SENDER, { limit: 10, now: 9_000, leaseMs: 1_000, workerId: 'w' });
    expect(retried.map((j) => [j.messageId, j.attempts])).toEqual([[b!.messageId, 2]]);
    await queue.unclaim(retried.map((j) => j.id));

    const released = await queue.releaseHeld(SENDER, 'r1', 10_000);
    expect(released.map((r) => [r.messageId, r.status])).toEqual([[d!.messageId, 'queued']]);
    const afterRelease = await queue.claim(SENDER, { limit: 10, now: 10_000, leaseMs: 1_000, workerId: 'w' });
    expect(afterRelease.map((j) => j.messageId)).toEqual([b!.messageId, d!.messageId]);
    expect((await ledger.get('app1', d!.messageId))?.history.map((h) => h.status)).toEqual([
      'queued',
      'awaiting_window',
      'queued',
    ]);
  });

  it('expires held messages after their hold time and drops their jobs', async () => {
    const held = item({ holdUntil: 5_000 }, 'held');
    await queue.enqueue([held]);
    expect(await queue.expireHeld(4_999, 100)).toEqual([]);
    const expired = await queue.expireHeld(5_000, 100);
    expect(expired).toEqual([
      expect.objectContaining({
        messageId: held.message.id,
        status: 'expired',
        senderKey: SENDER,
        recipientHash: 'r1',
      }),
    ]);
    expect(await queue.releaseHeld(SENDER, 'r1', 6_000)).toEqual([]);
    expect((await queue.depth(6_000)).find((d) => d.senderKey === SENDER)).toBeUndefined();
  });

  it('applies provider statuses monotonically, in lifecycle order, by provider id or echoed message id', async () => {
    const [x, y] = [item(), item()];
    await queue.enqueue([x, y]);
    const [jx, jy] = await queue.claim(SENDER, { limit: 10, now: 2_000, leaseMs: 60_000, workerId: 'w' });
    await queue.settle([{ kind: 'sent', job: jx!, providerMessageId: 'wamid.X' }], 2_000);

    // y's status arrives before its send was recorded: found by the echoed message id.
    const early = await ledger.applyProviderStatuses([
      {
        senderKey: SENDER,
        messageId: y!.message.id,
        providerMessageId: 'wamid.Y',
        status: 'sent',
        at: 2_050,
      },
      { senderKey: SENDER, providerMessageId: 'wamid.X', status: 'read', at: 3_000 },
      { senderKey: SENDER, providerMessageId: 'wamid.X', status: 'delivered', at: 2_900 },
      { senderKey: SENDER, providerMessageId: 'wamid.unknown', status: 'delivered', at: 2_900 },
    ]);
    expect(early.unmatched).toEqual([3]);
    expect(early.changes.map((c) => [c.messageId, c.status])).toEqual([
      [y!.message.id, 'sent'],
      [x!.message.id, 'delivered'],
      [x!.message.id, 'read'],
    ]);
    // The worker's late result does not move y back, but records the provider id.
    await queue.settle([{ kind: 'sent', job: jy!, providerMessageId: 'wamid.Y' }], 2_100);
    expect(await ledger.get('app1', y!.message.id)).toMatchObject({
      status: 'sent',
      providerMessageId: 'wamid.Y',
    });

    const late = await ledger.applyProviderStatuses([
      { senderKey: SENDER, providerMessageId: 'wamid.X', status: 'delivered', at: 4_000 },
      {
        senderKey: SENDER,
        providerMessageId: 'wamid.X',
        status: 'failed',
        at: 4_000,
        error: { code: '131026', message: 'x' },
      },
      { senderKey: 'other:1', providerMessageId: 'wamid.Y', status: 'delivered', at: 4_000 },
    ]);
    expect(late).toEqual({ changes: [], unmatched: [2] });
    const xRow = await ledger.get('app1', x!.message.id);
    expect(xRow?.status).toBe('read');
    expect(xRow?.history.map((h) => h.status)).toEqual(['queued', 'sent_for_delivery', 'delivered', 'read']);

    const failed = await ledger.applyProviderStatuses([
      {
        senderKey: SENDER,
        providerMessageId: 'wamid.Y',
        status: 'failed',
        at: 5_000,
        error: { code: '131026', message: 'undeliverable' },
      },
    ]);
    expect(failed.changes).toEqual([
      expect.objectContaining({ status: 'failed', error: { code: '131026', message: 'undeliverable' } }),
    ]);
    expect(await ledger.get('app1', y!.message.id)).toMatchObject({
      status: 'failed',
      error: { code: '131026' },
    });
  });

  it('keeps provider ids as a digest and a sealed copy, and seals the ids of rows written before', async () => {
    // Meta's wamid: base64 around the recipient's number (here 14157470265).
    const wamid = 'wamid.HBgLMTQxNTc0NzAyNjUVAgASGBQzQjM4REI5MzM5RUNCM0FDMzE0RQA=';
    const [x, y] = [item(), item()];
    await queue.enqueue([x, y]);
    const [jx, jy] = await queue.claim(SENDER, { limit: 10, now: 2_000, leaseMs: 60_000, workerId: 'w' });
    await queue.settle([{ kind: 'sent', job: jx!, providerMessageId: wamid, sealId: true }], 2_000);
    const raw = async (id: string) =>
      db()
        .db.selectFrom('messages')
        .select(['provider_message_id', 'provider_ref'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    const stored = await raw(x!.message.id);
    expect(stored.provider_message_id).toBe(testProviderIds.digest(SENDER, wamid));
    expect(JSON.stringify(stored)).not.toContain(wamid.slice(6, 20));
    expect(await ledger.get('app1', x!.message.id)).toMatchObject({ providerMessageId: wamid });
    const delivered = await ledger.applyProviderStatuses([
      { senderKey: SENDER, providerMessageId: wamid, status: 'delivered', at: 2_500 },
    ]);
    expect(delivered.changes.map((c) => [c.messageId, c.status])).toEqual([[x!.message.id, 'delivered']]);

    // An id that carries no address is kept as it is.
    await queue.settle([{ kind: 'sent', job: jy!, providerMessageId: 'wamid.OLD' }], 2_000);
    expect(await raw(y!.message.id)).toEqual({ provider_message_id: 'wamid.OLD', provider_ref: '' });
    // A row as migration 0007 found it: the id itself, nothing sealed. Statuses still find it, until it is sealed.
    await db()
      .db.updateTable('messages')
      .set({ provider_message_id: 'wamid.OLD', provider_ref: null })
      .where('id', '=', y!.message.id)
      .execute();
    const old = await ledger.applyProviderStatuses([
      { senderKey: SENDER, providerMessageId: 'wamid.OLD', status: 'delivered', at: 2_600 },
    ]);
    expect(old.changes.map((c) => [c.messageId, c.status])).toEqual([[y!.message.id, 'delivered']]);
    expect(await ledger.sealProviderIds(100)).toBe(1);
    expect(await ledger.sealProviderIds(100)).toBe(0);
    expect(await raw(y!.message.id)).toMatchObject({
      provider_message_id: testProviderIds.digest(SENDER, 'wamid.OLD'),
    });
    expect(await ledger.get('app1', y!.message.id)).toMatchObject({ providerMessageId: 'wamid.OLD' });
    const read = await ledger.applyProviderStatuses([
      { senderKey: SENDER, providerMessageId: 'wamid.OLD', status: 'read', at: 2_700 },
    ]);
    expect(read.changes.map((c) => c.status)).toEqual(['read']);
  });

  it('never records a status before the last one, whatever whole-second time the provider stamped', async () => {
    const x = item();
    await queue.enqueue([x]);
    const [jx] = await queue.claim(SENDER, { limit: 1, now: 2_040, leaseMs: 60_000, workerId: 'w' });
    await queue.settle([{ kind: 'sent', job: jx!, providerMessageId: 'wamid.S' }], 2_056);
    await ledger.applyProviderStatuses([
      { senderKey: SENDER, providerMessageId: 'wamid.S', status: 'sent', at: 2_000 },
      { senderKey: SENDER, providerMessageId: 'wamid.S', status: 'delivered', at: 2_000 },
    ]);
    const row = await ledger.get('app1', x!.message.id);
    const times = row!.history.map((h) => h.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(row!.history.at(-1)).toMatchObject({ status: 'delivered', at: 2_056 });
    expect(row!.updatedAt).toBeGreaterThanOrEqual(row!.createdAt);
  });

  it('lists messages newest first with filters', async () => {
    const items = [
      item({ campaignId: 'c1', activityId: 'a', endpointId: 'e1' }),
      item(),
      item({ createdAt: 5_000 }),
    ];
    await queue.enqueue(items);
    expect((await ledger.list('app1', { limit: 10 })).map((m) => m.id)).toEqual(
      items.map((i) => i.message.id).reverse(),
    );
    expect((await ledger.list('app1', { limit: 10, campaignId: 'c1' })).map((m) => m.id)).toEqual([
      items[0]!.message.id,
    ]);
    expect((await ledger.list('app1', { limit: 10, since: 4_000 })).map((m) => m.id)).toEqual([
      items[2]!.message.id,
    ]);
    expect(
      (await ledger.list('app1', { limit: 1, beforeId: items[2]!.message.id })).map((m) => m.id),
    ).toEqual([items[1]!.message.id]);
  });

  it('settles sends and records statuses of the same messages at the same time without deadlocking', async () => {
    // On PostgreSQL both lock the messages' rows, the ledger in one statement per kind of transition: taken in
    // different orders the two deadlock and one batch is lost to a retry.
    const items = Array.from({ length: 480 }, () => item());
    await queue.enqueue(items);
    const jobs = await queue.claim(SENDER, { limit: 480, now: 2_000, leaseMs: 600_000, workerId: 'w1' });
    const statuses = ['sent', 'delivered', 'read'] as const;
    let turn = 0;
    for (let start = 0; start < jobs.length; start += 40) {
      const part = jobs.slice(start, start + 40);
      const updates = [...part]
        .sort(() => (turn++ % 3) - 1)
        .map((job, i) => ({
          senderKey: SENDER,
          providerMessageId: `wamid.${job.messageId}`,
          messageId: job.messageId,
          status: statuses[i % 3] as (typeof statuses)[number],
          at: 3_000 + i,
        }));
      await Promise.all([
        queue.settle(
          part.map((job) => ({
            kind: 'sent',
            job,
            providerMessageId: `wamid.${job.messageId}`,
            keepJob: true,
          })),
          3_000,
        ),
        ledger.applyProviderStatuses(updates.slice(0, 20)),
        ledger.applyProviderStatuses(updates.slice(20)),
      ]);
    }
  });
});
