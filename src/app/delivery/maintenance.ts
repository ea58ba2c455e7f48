import type { HeraldEvent } from '../../domain/herald-event.js';
import type { Clock } from '../../ports/clock.js';
import type { ConversationStore } from '../../ports/conversation-store.js';
import type { DeliverySettingsStore } from '../../ports/delivery-settings-store.js';
import type { EventOutbox } from '../../ports/event-outbox.js';
import type { InboundMessageStore } from '../../ports/inbound-message-store.js';
import type { InboxStore } from '../../ports/inbox-store.js';
import type { MessageLedger } from '../../ports/message-ledger.js';
import type { SendQueue } from '../../ports/send-queue.js';
import { EVENT_DELIVERY_MAX_AGE_MS } from '../events/event-deliverer.js';
import type { EventPublisher } from '../events/event-publisher.js';

export interface MaintenanceDeps {
  readonly queue: SendQueue;
  readonly ledger: MessageLedger;
  readonly inbox: InboxStore;
  readonly outbox: EventOutbox;
  readonly inboundMessages: InboundMessageStore;
  readonly conversations: ConversationStore;
  readonly settings: DeliverySettingsStore;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly options: {
    readonly ledgerRetentionDays: number;
    readonly inboundRetentionDays: number;
    /** Processed webhook events are kept this long for dedupe of late redeliveries. */
    readonly inboxRetentionDays: number;
  };
}

const DAY = 86_400_000;
const BATCH = 1_000;

/**
 * The periodic work: held messages past their hold time become `expired` (and the app's notice is owed to the
 * user), ledger rows, inbound messages and event deliveries past their retention are removed, provider ids of
 * older rows sealed.
 * Returns how much it did, so the loop
 * runs again at once while there is more.
 */
export async function runMaintenance(deps: MaintenanceDeps): Promise<number> {
  const now = deps.clock.now();
  await deps.events.prepareAll();
  const events: HeraldEvent[] = [];
  const candidates = await deps.queue.expireHeld(now, BATCH, deps.events.writerFor(events));
  deps.events.publish(events);
  for (const expired of candidates) {
    const settings = await deps.settings.get(expired.appId);
    if (settings.expiryNotice) {
      await deps.conversations.setNoticePending(
        expired.senderKey,
        expired.recipientHash,
        expired.appId,
        true,
        now,
      );
    }
  }
  const purged =
    (await deps.ledger.purge(now - deps.options.ledgerRetentionDays * DAY, BATCH)) +
    (await deps.inboundMessages.purge(now - deps.options.inboundRetentionDays * DAY, BATCH)) +
    (await deps.inbox.purge(now - deps.options.inboxRetentionDays * DAY)) +
    // A late 131047 comes within hours; after two days a parked job only keeps an address alive.
    (await deps.queue.purgeParked(now - 2 * DAY, BATCH)) +
    // Deliveries of a receiver that has been failing for days (they are dropped at that age when claimed too).
    (await deps.outbox.purge(now - EVENT_DELIVERY_MAX_AGE_MS, BATCH)) +
    // Rows written before the ledger sealed provider ids (migration 0007): none after the first runs.
    (await deps.ledger.sealProviderIds(BATCH));
  return candidates.length + purged;
}
