import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import type { InboundMessage } from '../ports/inbound-message-store.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyConversationStore } from './conversation-store.js';
import { KyselyDeliverySettingsStore } from './delivery-settings-store.js';
import { KyselyInboundMessageStore } from './inbound-message-store.js';
import { KyselySubscriptionStore } from './subscription-store.js';

const S = 'whatsapp-cloud:1';
const message: InboundMessage = {
  id: 'in1',
  appId: 'app1',
  channelId: 'wa',
  senderKey: S,
  recipientHash: 'r',
  endpointId: null,
  providerMessageId: 'wamid.1',
  content: { kind: 'text', text: 'hello' },
  receivedAt: 1_000,
};

describeEachDatabase('conversations, inbound messages, settings and subscriptions', (db) => {
  beforeEach(async () => {
    await new KyselyAppStore(db().db).createApp(
      { id: 'app1', name: 'a', createdAt: 1 },
      { id: 'k1', appId: 'app1', name: 'k', hint: 'xxxx', createdAt: 1, secretHash: '00' },
    );
  });

  it('records inbound messages, keeps the latest time, and resets consent', async () => {
    const store = new KyselyConversationStore(db().db);
    expect(
      await store.recordInbound({ senderKey: S, recipientHash: 'r', appId: 'app1', at: 1_000 }),
    ).toBeUndefined();
    expect(
      await store.claimConsent({
        senderKey: S,
        recipientHash: 'r',
        appId: 'app1',
        messageId: 'c1',
        at: 2_000,
        resendAfterMs: 10_000,
      }),
    ).toBe(true);
    const before = await store.recordInbound({ senderKey: S, recipientHash: 'r', appId: 'app1', at: 500 });
    expect(before).toMatchObject({ lastInboundAt: 1_000, consentMessageId: 'c1' });
    expect(await store.get(S, 'r')).toMatchObject({
      lastInboundAt: 1_000,
      consentMessageId: null,
      consentSentAt: null,
    });
  });

  it('lets one caller claim the consent template until the hold time has passed', async () => {
    const store = new KyselyConversationStore(db().db);
    const claim = (messageId: string, at: number) =>
      store.claimConsent({
        senderKey: S,
        recipientHash: 'r',
        appId: 'app1',
        messageId,
        at,
        resendAfterMs: 10_000,
      });
    expect(await claim('c1', 1_000)).toBe(true);
    expect(await claim('c2', 5_000)).toBe(false);
    expect(await claim('c3', 11_001)).toBe(true);
    expect((await store.get(S, 'r'))?.consentMessageId).toBe('c3');
  });

  it('owes a notice, and hands out a fresh reply token once', async () => {
    const store = new KyselyConversationStore(db().db);
    // Milliseconds, past what a PostgreSQL integer holds (migration 0009).
    await store.setNoticePending(S, 'r', 'app1', true, 1_000);
    expect((await store.get(S, 'r'))?.noticeOwedSince).toBe(1_000);
    await store.setNoticePending(S, 'r2', 'app1', true, 1_800_000_000_123);
    expect((await store.get(S, 'r2'))?.noticeOwedSince).toBe(1_800_000_000_123);
    const before = await store.recordInbound({
      senderKey: S,
      recipientHash: 'r',
      appId: 'app1',
      at: 2_000,
      replyToken: 'tok',
    });
    expect(before?.noticeOwedSince).toBe(1_000);
    // Owed until it went out: a crash between the user's message and the notice leaves it to the next attempt.
    expect((await store.get(S, 'r'))?.noticeOwedSince).toBe(1_000);
    // A notice owed since later (another expiry meanwhile) is not cleared by the earlier one's.
    await store.setNoticePending(S, 'r', 'app1', true, 1_500);
    await store.clearNotice(S, 'r', 1_000);
    expect((await store.get(S, 'r'))?.noticeOwedSince).toBe(1_500);
    await store.clearNotice(S, 'r', 1_500);
    expect((await store.get(S, 'r'))?.noticeOwedSince).toBe(null);
    expect(await store.takeReplyToken(S, 'r', 70_000, 60_000)).toBe(undefined);
    await store.recordInbound({
      senderKey: S,
      recipientHash: 'r',
      appId: 'app1',
      at: 80_000,
      replyToken: 'tok2',
    });
    expect(await store.takeReplyToken(S, 'r', 90_000, 60_000)).toBe('tok2');
    expect(await store.takeReplyToken(S, 'r', 90_001, 60_000)).toBe(undefined);
  });

  it('stores an inbound message once and deletes it, provider id and all, after the retention', async () => {
    const store = new KyselyInboundMessageStore(db().db);
    expect(await store.append(message)).toBe(true);
    expect(await store.append({ ...message, id: 'in2' })).toBe(false);
    expect(await store.list('app1', { limit: 10 })).toEqual([message]);
    expect(await store.purge(999, 100)).toBe(0);
    expect(await store.purge(1_001, 100)).toBe(1);
    expect(await store.list('app1', { limit: 10 })).toEqual([]);
    const left = await db().db.selectFrom('inbound_messages').select('id').execute();
    expect(left).toEqual([]);
  });

  it("stores a new inbound message's events in its transaction, and none for a message seen before", async () => {
    const store = new KyselyInboundMessageStore(db().db);
    const delivery = (m: InboundMessage) => ({
      id: `d-${m.id}`,
      subscriptionId: 's1',
      event: {
        id: m.id,
        type: 'message.inbound' as const,
        appId: m.appId,
        occurredAt: m.receivedAt,
        data: {
          inboundId: m.id,
          channelId: m.channelId,
          channelType: 'WHATSAPP',
          from: '+16505551234',
          content: { kind: 'text' as const, text: 'hello' },
          providerMessageId: m.providerMessageId,
        },
      },
    });
    const jobs = () => db().db.selectFrom('jobs').select(['id', 'queue']).orderBy('id').execute();

    await expect(
      store.append(message, () => {
        throw new Error('no events');
      }),
    ).rejects.toThrow('no events');
    expect(await store.list('app1', { limit: 10 })).toEqual([]);

    expect(await store.append(message, (m) => [delivery(m)])).toBe(true);
    expect(await store.append({ ...message, id: 'in2' }, (m) => [delivery(m)])).toBe(false);
    expect(await jobs()).toEqual([{ id: 'd-in1', queue: 'event' }]);
    expect(await store.list('app1', { limit: 10 })).toEqual([message]);
  });

  it('keeps delivery settings and subscriptions per app', async () => {
    const settings = new KyselyDeliverySettingsStore(db().db);
    expect(await settings.get('app1')).toEqual({});
    const value = {
      consentTemplate: { name: 'consent', languages: { es: 'es' }, fallbackLanguage: 'en_US' },
      holdSeconds: 600,
    };
    await settings.put('app1', value, 1);
    await settings.put('app1', { ...value, holdSeconds: 900 }, 2);
    expect(await settings.get('app1')).toEqual({ ...value, holdSeconds: 900 });

    const subscriptions = new KyselySubscriptionStore(db().db);
    await subscriptions.create(
      { id: 's1', appId: 'app1', url: 'https://example.com/h', events: ['message.status'], createdAt: 1 },
      'sealed',
    );
    expect(await subscriptions.appsWithSubscriptions()).toEqual(['app1']);
    expect(await subscriptions.get('app1', 's1')).toMatchObject({
      sealedSecret: 'sealed',
      events: ['message.status'],
    });
    expect(await subscriptions.get('app2', 's1')).toBeUndefined();
    expect(await subscriptions.delete('app1', 's1')).toBe(true);
    expect(await subscriptions.list('app1')).toEqual([]);
  });
});
