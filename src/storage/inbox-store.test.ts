import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyInboxStore } from './inbox-store.js';

const entry = (id: string, eventId: string, receivedAt = 1_000) => ({
  id,
  appId: 'app1',
  channelId: 'wa',
  senderKey: 'whatsapp-cloud:1',
  event: {
    type: 'status' as const,
    eventId,
    occurredAt: 900,
    providerMessageId: 'wamid.1',
    status: 'delivered' as const,
  },
  receivedAt,
});

describeEachDatabase('KyselyInboxStore', (db) => {
  let inbox: KyselyInboxStore;
  beforeEach(async () => {
    inbox = new KyselyInboxStore(db().db, db().dialect);
    await new KyselyAppStore(db().db).createApp(
      { id: 'app1', name: 'a', createdAt: 1 },
      { id: 'k1', appId: 'app1', name: 'k', hint: 'xxxx', createdAt: 1, secretHash: '00' },
    );
  });

  it('stores an event once, however often the provider sends it', async () => {
    expect(await inbox.append([entry('i1', 'wamid.1:delivered'), entry('i2', 'wamid.1:read')])).toEqual([
      'i1',
      'i2',
    ]);
    expect(
      await inbox.append([
        entry('i3', 'wamid.1:delivered'),
        entry('i4', 'wamid.1:sent'),
        entry('i5', 'wamid.1:sent'),
      ]),
    ).toEqual(['i4']);
    expect(await inbox.backlog(2_000)).toEqual({ count: 3, oldestAgeMs: 1_000 });
  });

  it('stores events already leased to the process that will work on them', async () => {
    expect(await inbox.append([entry('i1', 'e1'), entry('i2', 'e2')], { lockedUntil: 1_500 })).toEqual([
      'i1',
      'i2',
    ]);
    expect(await inbox.claim({ limit: 10, now: 1_400, leaseMs: 500 })).toEqual([]);
    // A crash: once the lease runs out they are claimed like any other, their first attempt counted.
    expect(
      (await inbox.claim({ limit: 10, now: 1_501, leaseMs: 500 })).map((e) => [e.id, e.attempts]),
    ).toEqual([
      ['i1', 2],
      ['i2', 2],
    ]);
  });

  it('stores thousands of events of one group commit in one call', async () => {
    const many = Array.from({ length: 5_000 }, (_, i) => entry(`i${String(i).padStart(5, '0')}`, `e${i}`));
    expect(await inbox.append([...many, entry('dup', 'e7')])).toHaveLength(5_000);
    expect((await inbox.backlog(2_000)).count).toBe(5_000);
  });

  it('leases events oldest first, gives them back after the lease or a release, and purges processed ones', async () => {
    await inbox.append([entry('i1', 'e1'), entry('i2', 'e2'), entry('i3', 'e3')]);
    const first = await inbox.claim({ limit: 2, now: 1_000, leaseMs: 500 });
    expect(first.map((e) => [e.id, e.attempts])).toEqual([
      ['i1', 1],
      ['i2', 1],
    ]);
    expect(first[0]?.event).toMatchObject({ type: 'status', eventId: 'e1' });
    expect((await inbox.claim({ limit: 10, now: 1_100, leaseMs: 500 })).map((e) => e.id)).toEqual(['i3']);
    await inbox.complete(['i1'], 1_200);
    await inbox.release(['i3'], 3_000);
    expect((await inbox.claim({ limit: 10, now: 1_600, leaseMs: 500 })).map((e) => e.id)).toEqual(['i2']);
    await inbox.complete(['i2'], 1_700);
    expect(await inbox.claim({ limit: 10, now: 2_999, leaseMs: 500 })).toEqual([]);
    expect(
      (await inbox.claim({ limit: 10, now: 3_001, leaseMs: 500 })).map((e) => [e.id, e.attempts]),
    ).toEqual([['i3', 2]]);
    expect(await inbox.purge(999)).toBe(0);
    expect(await inbox.purge(1_001)).toBe(2);
  });
});
