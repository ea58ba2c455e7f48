import type { CompiledQuery, Kysely } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import type { ChannelEvent } from '../domain/channel-event.js';
import { KyselyAppStore } from './app-store.js';
import type { Database } from './database.js';
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

/** The database, recording the SQL of each statement the store sends through `executeQuery`. */
const recording = (db: Kysely<Database>, statements: string[]): Kysely<Database> =>
  new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'executeQuery') return Reflect.get(target, property, receiver);
      return (query: CompiledQuery) => {
        statements.push(query.sql);
        return target.executeQuery(query);
      };
    },
  });

describeEachDatabase('KyselyInboxStore', (db, dialect) => {
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

  it('keeps every character of what it stores', async () => {
    const awkward = 'say "hi", {x}\\ NULL, \'quoted\'\n\ttab, é, 日本, 🎉';
    const event: ChannelEvent = {
      type: 'message',
      eventId: `wamid.${awkward}`,
      occurredAt: 900,
      from: '+15550001111',
      providerMessageId: 'wamid.2',
      content: { kind: 'text', text: awkward },
    };
    await inbox.append([{ ...entry('i1', 'unused'), senderKey: `k ${awkward}`, event }]);
    const [stored] = await inbox.claim({ limit: 10, now: 1_000, leaseMs: 500 });
    expect(stored).toMatchObject({ id: 'i1', senderKey: `k ${awkward}`, event });
    expect(await inbox.append([{ ...entry('i2', 'unused'), event }])).toEqual([]);
  });

  it.runIf(dialect === 'postgres')(
    'writes a group commit of any size with one statement, the same text each time',
    async () => {
      const statements: string[] = [];
      const recorded = new KyselyInboxStore(recording(db().db, statements), db().dialect);
      let next = 0;
      for (const size of [1, 37, 200]) {
        const batch = Array.from({ length: size }, () => entry(`i${next}`, `e${next++}`));
        expect(await recorded.append(batch)).toHaveLength(size);
      }
      expect(statements).toHaveLength(3);
      expect(new Set(statements).size).toBe(1);
    },
  );

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

  it('drops the payload of a processed event and keeps its id for deduplication; keeps the payload of one given up on', async () => {
    await inbox.append([entry('i1', 'e1'), entry('i2', 'e2')]);
    await inbox.complete(['i1'], 1_200);
    await inbox.complete(['i2'], 1_200, { keepPayload: true });
    const rows = await db()
      .db.selectFrom('inbox')
      .select(['id', 'payload', 'processed_at'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.id, r.payload === '' ? 'dropped' : JSON.parse(r.payload).eventId])).toEqual([
      ['i1', 'dropped'],
      ['i2', 'e2'],
    ]);
    // A redelivery of the processed event is still recognised.
    expect(await inbox.append([entry('i3', 'e1')])).toEqual([]);
  });
});
