import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../../test/helpers/test-database.js';
import { testProviderIds } from '../../../test/helpers/test-provider-ids.js';
import { createInMemoryEventBus } from '../../runtime/in-memory-event-bus.js';
import { createUlidGenerator } from '../../runtime/ulid-generator.js';
import { KyselyAppStore } from '../../storage/app-store.js';
import { KyselyConversationStore } from '../../storage/conversation-store.js';
import { KyselyDeliverySettingsStore } from '../../storage/delivery-settings-store.js';
import { KyselyEventOutbox } from '../../storage/event-outbox.js';
import { KyselyInboundMessageStore } from '../../storage/inbound-message-store.js';
import { KyselyInboxStore } from '../../storage/inbox-store.js';
import { KyselyMessageLedger } from '../../storage/message-ledger.js';
import { KyselySendQueue } from '../../storage/send-queue.js';
import { KyselySubscriptionStore } from '../../storage/subscription-store.js';
import { EventPublisher } from '../events/event-publisher.js';
import { type MaintenanceDeps, runMaintenance } from './maintenance.js';

const DAY = 86_400_000;
const S = 'whatsapp-cloud:1';

describeEachDatabase('maintenance: expiry and retention', (db) => {
  let now = 0;
  let deps: MaintenanceDeps;
  let outbox: KyselyEventOutbox;
  beforeEach(async () => {
    now = 1_000 * DAY;
    const clock = { now: () => now };
    const d = db().db;
    await new KyselyAppStore(d).createApp(
      { id: 'app1', name: 'a', createdAt: 1 },
      { id: 'k1', appId: 'app1', name: 'k', hint: 'xxxx', createdAt: 1, secretHash: '00' },
    );
    outbox = new KyselyEventOutbox(d, db().dialect);
    deps = {
      outbox,
      queue: new KyselySendQueue(d, db().dialect, testProviderIds),
      ledger: new KyselyMessageLedger(d, db().dialect, testProviderIds),
      inbox: new KyselyInboxStore(d, db().dialect),
      inboundMessages: new KyselyInboundMessageStore(d),
      conversations: new KyselyConversationStore(d),
      settings: new KyselyDeliverySettingsStore(d),
      events: new EventPublisher({
        subscriptions: new KyselySubscriptionStore(d),
        outbox,
        bus: createInMemoryEventBus(),
        ids: createUlidGenerator(),
        clock,
      }),
      clock,
      options: { ledgerRetentionDays: 365, inboundRetentionDays: 30, inboxRetentionDays: 7 },
    };
  });

  const message = (id: string, createdAt: number, held = false) => ({
    message: {
      id,
      appId: 'app1',
      channelId: 'wa',
      channelType: 'WHATSAPP' as const,
      senderKey: S,
      recipientHash: 'r1',
      source: 'api' as const,
      contentKind: 'text' as const,
      status: held ? ('awaiting_window' as const) : ('queued' as const),
      createdAt,
      ...(held ? { holdUntil: createdAt + 7_200_000 } : {}),
    },
    job: {
      payload: {
        appId: 'app1',
        channelId: 'wa',
        to: '+16505551234',
        content: { kind: 'text' as const, text: 'x' },
      },
      runAt: createdAt,
      state: held ? ('held' as const) : ('ready' as const),
    },
  });

  it('expires held messages past their hold time and owes the app its notice', async () => {
    await deps.settings.put('app1', { expiryNotice: { text: 'sorry' } }, now);
    await deps.queue.enqueue([
      message('held1', now - 3 * 3_600_000, true),
      message('held2', now - 60_000, true),
    ]);
    expect(await runMaintenance(deps)).toBeGreaterThanOrEqual(1);
    expect((await deps.ledger.get('app1', 'held1'))?.status).toBe('expired');
    expect((await deps.ledger.get('app1', 'held2'))?.status).toBe('awaiting_window');
    expect((await deps.conversations.get(S, 'r1'))?.noticeOwedSince).toBe(now);
  });

  it('removes ledger rows past the retention and inbound messages past theirs', async () => {
    await deps.queue.enqueue([message('old', now - 366 * DAY), message('recent', now - 10 * DAY)]);
    const jobs = await deps.queue.claim(S, { limit: 10, now, leaseMs: 1_000, workerId: 'w' });
    await deps.queue.settle(
      jobs.map((job) => ({ kind: 'failed' as const, job, error: { code: 'x', message: 'y' } })),
      now,
    );
    for (const [id, age] of [
      ['in-old', 31 * DAY],
      ['in-new', DAY],
    ] as const) {
      await deps.inboundMessages.append({
        id,
        appId: 'app1',
        channelId: 'wa',
        senderKey: S,
        recipientHash: 'r1',
        endpointId: null,
        providerMessageId: `wamid.${id}`,
        content: { kind: 'text', text: 'hello' },
        receivedAt: now - age,
      });
    }
    await runMaintenance(deps);
    expect(await deps.ledger.get('app1', 'old')).toBeUndefined();
    expect(await deps.ledger.get('app1', 'recent')).toBeDefined();
    const inbound = await deps.inboundMessages.list('app1', { limit: 10 });
    expect(Object.fromEntries(inbound.map((m) => [m.id, m.content]))).toEqual({
      'in-new': { kind: 'text', text: 'hello' },
    });
  });

  it('removes event deliveries no receiver acknowledged in three days', async () => {
    const delivery = (id: string) => ({
      id,
      subscriptionId: 's1',
      event: {
        id: `ev-${id}`,
        type: 'message.status' as const,
        appId: 'app1',
        occurredAt: now,
        data: { messageId: 'm1', status: 'sent' as const, channelId: 'wa' },
      },
    });
    await outbox.enqueue([delivery('old')], now - 3 * DAY - 1);
    await outbox.enqueue([delivery('recent')], now - 2 * DAY);
    await runMaintenance(deps);
    const left = await db().db.selectFrom('jobs').select('id').where('queue', '=', 'event').execute();
    expect(left).toEqual([{ id: 'recent' }]);
  });
});
