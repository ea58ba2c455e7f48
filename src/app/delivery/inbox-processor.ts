import type { InboundMessageEvent, StatusEvent } from '../../domain/channel-event.js';
import type { ChannelType } from '../../domain/channel-type.js';
import type { Endpoint } from '../../domain/endpoint.js';
import type { HeraldEvent } from '../../domain/herald-event.js';
import type { ChannelStore, StoredChannel } from '../../ports/channel-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ConversationStore } from '../../ports/conversation-store.js';
import type { DeliveryMetrics } from '../../ports/delivery-metrics.js';
import type { DeliverySettingsStore } from '../../ports/delivery-settings-store.js';
import type { OptOutChange } from '../../ports/endpoint-store.js';
import type { ChangeEvents } from '../../ports/event-outbox.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { InboundMessageStore } from '../../ports/inbound-message-store.js';
import type { InboxEntry, InboxStore } from '../../ports/inbox-store.js';
import type { Logger } from '../../ports/logger.js';
import type { MessageLedger, ProviderStatusUpdate } from '../../ports/message-ledger.js';
import type { ClaimedJob, SendQueue } from '../../ports/send-queue.js';
import type { ChannelDirectory } from '../channels/channel-directory.js';
import type { EventPublisher } from '../events/event-publisher.js';
import type { LocalInbox } from './local-inbox.js';
import { canonicalInboundAddress } from './recipient-address.js';
import type { RecipientHasher } from './recipient-hasher.js';
import type { SendRequest, SendResult } from './send-message.js';

/** What inbound processing needs from the audience: endpoints by address, opt-outs, activity, LINE followers. */
export interface InboundAudience {
  findByAddress(appId: string, channelType: ChannelType, address: string): Promise<Endpoint[]>;
  setOptOut(
    appId: string,
    channelType: ChannelType,
    address: string,
    optOut: 'NONE' | 'ALL',
    at: number,
    events?: ChangeEvents<OptOutChange>,
  ): Promise<string[]>;
  touchActivity(appId: string, endpointIds: readonly string[], at: number): Promise<void>;
  /** LINE follow: creates the endpoint for this user, or re-activates it, with the display name as a user attribute. */
  upsertFollower(
    appId: string,
    input: { channelType: ChannelType; address: string; displayName?: string; at: number },
  ): Promise<string>;
}

export interface InboxProcessorDeps {
  readonly inbox: InboxStore;
  /** Events this process stored, handed over in memory; taken before the table is claimed. */
  readonly local?: LocalInbox;
  readonly ledger: MessageLedger;
  readonly queue: SendQueue;
  readonly conversations: ConversationStore;
  readonly inboundMessages: InboundMessageStore;
  readonly settings: DeliverySettingsStore;
  readonly channels: ChannelStore;
  readonly directory: ChannelDirectory;
  readonly audience: InboundAudience;
  readonly events: EventPublisher;
  readonly hasher: RecipientHasher;
  readonly metrics: DeliveryMetrics;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly send: (request: SendRequest) => Promise<SendResult>;
  readonly wake: (senderKey: string) => void;
  /** A message went back to `awaiting_window`: send the consent template if it has not gone out. */
  readonly onHeld: (job: ClaimedJob) => Promise<void>;
  readonly options: {
    readonly markRead: boolean;
    readonly stopKeywords: readonly string[];
    readonly startKeywords: readonly string[];
    /** Default hold time for messages awaiting the window, seconds. */
    readonly holdSeconds: number;
    /** How long a status whose message is unknown is retried (it may be a send not recorded yet). */
    readonly unmatchedStatusRetryMs: number;
    readonly leaseMs: number;
    readonly batchSize: number;
  };
}

const TABLE_CLAIM_EVERY_MS = 1_000;
const MIN_TABLE_CLAIM = 50;
/** An event that keeps failing is tried again after 2 s, 4 s, 8 s ... up to 5 min, and given up on after this many. */
const MAX_ATTEMPTS = 10;
const RETRY_BASE_MS = 2_000;
/** A status whose message is not (yet) in the ledger comes back after 2 s, doubling up to a minute. */
const UNMATCHED_MAX_MS = 60_000;
const RETRY_MAX_MS = 5 * 60_000;

/**
 * Processes stored webhook events: statuses into the ledger (in batches, monotonic), inbound messages (stored,
 * opening WhatsApp's window, releasing held messages, marking read, STOP/START keywords, the expiry notice), LINE
 * follow and unfollow (the endpoint is created or re-activated, or opted out, never deleted). Every effect is
 * idempotent, so an event processed twice after a crash changes nothing more.
 */
export class InboxProcessor {
  private lastTableClaim = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: InboxProcessorDeps) {}

  /** Processes one batch; returns how many events it took. */
  async processBatch(): Promise<number> {
    const { deps } = this;
    const now = deps.clock.now();
    const limit = deps.options.batchSize;
    const local = deps.local?.take(limit, now) ?? [];
    // The table holds what other processes stored, retries and what a crash left; under a steady stream of local
    // events it is still claimed from at least once a second.
    let claimed: InboxEntry[] = [];
    if (local.length < limit || now - this.lastTableClaim >= TABLE_CLAIM_EVERY_MS) {
      this.lastTableClaim = now;
      claimed = await deps.inbox.claim({
        limit: Math.max(limit - local.length, MIN_TABLE_CLAIM),
        now,
        leaseMs: deps.options.leaseMs,
      });
    }
    const batch = claimed.length === 0 ? local : [...claimed, ...local];
    if (batch.length === 0) return 0;
    try {
      return await this.processEntries(batch, now);
    } catch (error) {
      // A failed batch (a deadlock, a lost connection, or one event the database refuses) is tried again one
      // event at a time, so one bad event cannot hold back the others; what still fails is retried with backoff
      // (in seconds, not when its lease runs out) and given up on after MAX_ATTEMPTS.
      const failed = batch.length === 1 ? [...batch] : await this.oneByOne(batch, now);
      if (failed.length > 0) await this.retryLater(failed, error);
      if (failed.length === batch.length) throw error;
      return batch.length;
    }
  }

  private async oneByOne(batch: readonly InboxEntry[], now: number): Promise<InboxEntry[]> {
    const failed: InboxEntry[] = [];
    for (const entry of batch) {
      try {
        await this.processEntries([entry], now);
      } catch {
        failed.push(entry);
      }
    }
    return failed;
  }

  private async retryLater(entries: readonly InboxEntry[], error: unknown): Promise<void> {
    const { deps } = this;
    const now = deps.clock.now();
    const abandoned = entries.filter((e) => e.attempts >= MAX_ATTEMPTS);
    if (abandoned.length > 0) {
      deps.logger.error(
        {
          err: error,
          inboxIds: abandoned.map((e) => e.id),
          eventTypes: [...new Set(abandoned.map((e) => e.event.type))],
        },
        `webhook events failed ${MAX_ATTEMPTS} times; given up (kept in the inbox table as processed)`,
      );
      await deps.inbox.complete(
        abandoned.map((e) => e.id),
        now,
        { keepPayload: true },
      );
      deps.metrics.inboxAbandoned(abandoned.length);
    }
    await this.releaseWithBackoff(
      entries.filter((e) => e.attempts < MAX_ATTEMPTS),
      RETRY_MAX_MS,
      now,
    );
  }

  /** Gives entries back to the table, each due after 2 s doubling with its attempts, up to `maxMs`. */
  private async releaseWithBackoff(
    entries: readonly InboxEntry[],
    maxMs: number,
    now: number,
  ): Promise<void> {
    const byDelay = new Map<number, string[]>();
    for (const entry of entries) {
      const delay = Math.min(RETRY_BASE_MS * 2 ** Math.max(0, entry.attempts - 1), maxMs);
      byDelay.set(delay, [...(byDelay.get(delay) ?? []), entry.id]);
    }
    for (const [delay, ids] of byDelay) await this.deps.inbox.release(ids, now + delay);
  }

  private async processEntries(batch: readonly InboxEntry[], now: number): Promise<number> {
    const { deps } = this;
    const done: string[] = [];
    const retry: InboxEntry[] = [];
    const statuses = batch.filter((e): e is InboxEntry & { event: StatusEvent } => e.event.type === 'status');
    if (statuses.length > 0) {
      const { done: ok, retry: again } = await this.applyStatuses(statuses, now);
      done.push(...ok);
      retry.push(...again);
    }
    const channelCache = new Map<string, StoredChannel | undefined>();
    const failed: { entry: InboxEntry; error: unknown }[] = [];
    for (const entry of batch) {
      if (entry.event.type === 'status') continue;
      try {
        await this.handle(entry, channelCache);
        done.push(entry.id);
      } catch (error) {
        deps.logger.error(
          { err: error, inboxId: entry.id, eventType: entry.event.type },
          'could not process a webhook event',
        );
        failed.push({ entry, error });
      }
    }
    await deps.inbox.complete(done, deps.clock.now());
    // Statuses whose send is still being recorded come back in 2 s, then 4, 8 ... up to a minute, for as long as
    // unmatchedStatusRetryMs allows. Statuses of messages Herald never sent (a number another system sends from
    // too) come back a few times, not every 2 s for five minutes.
    await this.releaseWithBackoff(retry, UNMATCHED_MAX_MS, deps.clock.now());
    if (failed.length > 0)
      await this.retryLater(
        failed.map((f) => f.entry),
        failed[0]?.error,
      );
    const processed = new Set(done);
    deps.metrics.inboxProcessed(
      done.length,
      batch.filter((e) => processed.has(e.id)).map((e) => Math.max(0, now - e.receivedAt) / 1000),
    );
    return batch.length;
  }

  private async applyStatuses(all: readonly (InboxEntry & { event: StatusEvent })[], now: number) {
    const { deps } = this;
    const { apply: entries, later } = await this.holdWindowClosed(all, now);
    const updates: ProviderStatusUpdate[] = entries.map((e) => ({
      senderKey: e.senderKey,
      providerMessageId: e.event.providerMessageId,
      status: e.event.status,
      at: e.event.occurredAt,
      ...(e.event.callbackData ? { messageId: e.event.callbackData } : {}),
      ...(e.event.error ? { error: e.event.error } : {}),
    }));
    await deps.events.prepare(entries.map((e) => e.appId));
    const events: HeraldEvent[] = [];
    const { changes, unmatched } = await deps.ledger.applyProviderStatuses(
      updates,
      deps.events.writerFor(events),
    );
    deps.events.publish(events);
    const counts = new Map<string, number>();
    for (const change of changes) counts.set(change.status, (counts.get(change.status) ?? 0) + 1);
    for (const [status, count] of counts) deps.metrics.statusChanged(status, count);

    const retry: InboxEntry[] = [...later];
    const unknown = new Set(unmatched);
    const done: string[] = [];
    entries.forEach((entry, index) => {
      // A status can overtake the record of its own send; it is retried for a while, then dropped as foreign.
      if (unknown.has(index) && now - entry.receivedAt < deps.options.unmatchedStatusRetryMs)
        retry.push(entry);
      else done.push(entry.id);
    });
    return { done, retry };
  }

  /**
   * A late 131047: the message goes back to `awaiting_window` (its parked job held) and the consent template goes
   * out, as for a message held at send time. Returns the entries still to apply as ordinary statuses, and those to
   * try again shortly because their send is still being recorded.
   */
  private async holdWindowClosed(
    entries: readonly (InboxEntry & { event: StatusEvent })[],
    now: number,
  ): Promise<{ apply: (InboxEntry & { event: StatusEvent })[]; later: InboxEntry[] }> {
    const { deps } = this;
    const closed = entries.filter((e) => e.event.status === 'failed' && e.event.windowClosed === true);
    if (closed.length === 0) return { apply: [...entries], later: [] };
    const holdUntil = new Map<string, number | undefined>();
    for (const appId of new Set(closed.map((e) => e.appId))) {
      const settings = await deps.settings.get(appId);
      holdUntil.set(
        appId,
        settings.consentTemplate
          ? now + (settings.holdSeconds ?? deps.options.holdSeconds) * 1000
          : undefined,
      );
    }
    await deps.events.prepare(closed.map((e) => e.appId));
    const events: HeraldEvent[] = [];
    const { held, notHeld, inFlight } = await deps.queue.holdAfterWindowClosed(
      closed.map((e) => ({
        senderKey: e.senderKey,
        providerMessageId: e.event.providerMessageId,
        ...(e.event.callbackData ? { messageId: e.event.callbackData } : {}),
      })),
      (appId) => holdUntil.get(appId),
      now,
      deps.events.writerFor(events),
    );
    deps.events.publish(events);
    for (const job of held) await deps.onHeld(job);
    const stillToApply = new Set(notHeld.map((i) => closed[i]));
    return {
      apply: entries.filter((e) => !closed.includes(e) || stillToApply.has(e)),
      later: inFlight
        .map((i) => closed[i])
        .filter((e): e is InboxEntry & { event: StatusEvent } => e !== undefined),
    };
  }

  private async handle(
    entry: InboxEntry,
    channelCache: Map<string, StoredChannel | undefined>,
  ): Promise<void> {
    const key = `${entry.appId}\u0000${entry.channelId}`;
    if (!channelCache.has(key))
      channelCache.set(key, await this.deps.channels.get(entry.appId, entry.channelId));
    const channel = channelCache.get(key);
    if (!channel) return;
    const event = entry.event;
    switch (event.type) {
      case 'message':
        return this.inboundMessage(entry, channel, event);
      case 'follow':
        return this.follow(entry, channel, event.from, event.occurredAt);
      case 'unfollow':
        return this.optOut(entry, channel, event.from, 'ALL', 'unfollow', event.occurredAt);
      case 'optout':
        return this.optOut(entry, channel, event.from, 'ALL', event.keyword ?? 'provider', event.occurredAt);
      case 'optin':
        return this.optOut(entry, channel, event.from, 'NONE', event.keyword ?? 'provider', event.occurredAt);
      case 'status':
        return;
    }
  }

  private async inboundMessage(
    entry: InboxEntry,
    channel: StoredChannel,
    event: InboundMessageEvent,
  ): Promise<void> {
    const { deps } = this;
    const address = canonicalInboundAddress(channel.channelType, event.from);
    const recipientHash = deps.hasher(channel.channelType, address);
    const endpoints = await deps.audience.findByAddress(entry.appId, channel.channelType, address);
    const endpointIds = endpoints.map((e) => e.id);
    await deps.events.prepare([entry.appId]);
    // Events go into the outbox in the transaction of the change they report: after a crash the inbox event is
    // processed again, but a message already stored makes no second message.inbound, so it must not be lost here.
    const published: HeraldEvent[] = [];
    const stored = await deps.inboundMessages.append(
      {
        id: entry.id,
        appId: entry.appId,
        channelId: channel.id,
        senderKey: channel.senderKey,
        recipientHash,
        endpointId: endpointIds[0] ?? null,
        providerMessageId: event.providerMessageId,
        content: event.content,
        receivedAt: event.occurredAt,
      },
      deps.events.eventsFor(
        () => [
          {
            id: entry.id,
            type: 'message.inbound',
            appId: entry.appId,
            occurredAt: event.occurredAt,
            data: {
              inboundId: entry.id,
              channelId: channel.id,
              channelType: channel.channelType,
              from: address,
              content: event.content,
              providerMessageId: event.providerMessageId,
              ...(endpointIds[0] ? { endpointId: endpointIds[0] } : {}),
              ...(event.profileName ? { profileName: event.profileName } : {}),
            },
          },
        ],
        published,
      ),
    );
    deps.events.publish(published);

    // Idempotent even when the message was stored by an earlier, interrupted attempt.
    const before = await deps.conversations.recordInbound({
      senderKey: channel.senderKey,
      recipientHash,
      appId: entry.appId,
      at: event.occurredAt,
      ...(event.replyToken ? { replyToken: event.replyToken } : {}),
    });
    if (endpointIds.length > 0) await deps.audience.touchActivity(entry.appId, endpointIds, event.occurredAt);

    const keyword = event.content.kind === 'text' ? event.content.text.trim().toUpperCase() : undefined;
    const stop = keyword !== undefined && deps.options.stopKeywords.includes(keyword);

    const statusEvents: HeraldEvent[] = [];
    if (stop) {
      // Writing STOP opens the window like any message, but what waited for it must not follow the STOP.
      await deps.queue.cancelHeld(
        channel.senderKey,
        recipientHash,
        { code: 'HERALD_OPTED_OUT', message: `the recipient wrote ${keyword} while the message was held` },
        deps.clock.now(),
        deps.events.writerFor(statusEvents),
      );
    } else {
      const released = await deps.queue.releaseHeld(
        channel.senderKey,
        recipientHash,
        deps.clock.now(),
        deps.events.writerFor(statusEvents),
      );
      if (released.length > 0) deps.wake(channel.senderKey);
    }
    deps.events.publish(statusEvents);

    if (stop) {
      await this.optOut(entry, channel, address, 'ALL', `keyword ${keyword}`, event.occurredAt);
    } else if (keyword && deps.options.startKeywords.includes(keyword)) {
      await this.optOut(entry, channel, address, 'NONE', `keyword ${keyword}`, event.occurredAt);
    }

    const settings = await deps.settings.get(entry.appId);
    const owedSince = before?.noticeOwedSince ?? null;
    if (owedSince !== null) {
      // Owed until sent: after a crash the next attempt sends it, under the same idempotency key (so once, also
      // when two processes take two messages of the user at once). A STOP gets none.
      if (settings.expiryNotice && !stop) {
        await deps.send({
          appId: entry.appId,
          channelType: channel.channelType,
          channelId: channel.id,
          to: address,
          content: { kind: 'text', text: settings.expiryNotice.text },
          source: 'notice',
          idempotencyKey: `herald-notice:${owedSince}:${recipientHash.slice(0, 22)}`,
        });
      }
      await deps.conversations.clearNotice(channel.senderKey, recipientHash, owedSince);
    }

    const provider = deps.directory.provider(channel.provider);
    // Also when processed again after a crash (the message then is stored already): marking read is idempotent.
    if (
      (stored || entry.attempts > 1) &&
      provider.customerServiceWindow &&
      (settings.markRead ?? deps.options.markRead)
    ) {
      try {
        const { adapter } = await deps.directory.adapterFor(entry.appId, channel.id);
        await adapter.markRead?.(event.providerMessageId);
      } catch (error) {
        deps.logger.warn({ err: error, channelId: channel.id }, 'could not mark an inbound message read');
      }
    }
  }

  private async follow(entry: InboxEntry, channel: StoredChannel, from: string, at: number): Promise<void> {
    const { deps } = this;
    const address = canonicalInboundAddress(channel.channelType, from);
    let displayName: string | undefined;
    try {
      const { adapter } = await deps.directory.adapterFor(entry.appId, channel.id);
      displayName = (await adapter.lookupProfile?.(address))?.displayName;
    } catch (error) {
      deps.logger.warn({ err: error, channelId: channel.id }, 'could not look up a follower profile');
    }
    const endpointId = await deps.audience.upsertFollower(entry.appId, {
      channelType: channel.channelType,
      address,
      at,
      ...(displayName ? { displayName } : {}),
    });
    await deps.events.emit([this.optEvent(entry, channel, 'endpoint.optin', [endpointId], 'follow', at)]);
  }

  /**
   * Opts the address out (ALL) or in (NONE), with its `endpoint.optout` / `endpoint.optin` event in the same
   * transaction; no event when nothing changed (a second STOP, or this event processed again after a crash).
   */
  private async optOut(
    entry: InboxEntry,
    channel: StoredChannel,
    from: string,
    optOut: 'NONE' | 'ALL',
    reason: string,
    at: number,
  ): Promise<void> {
    const { deps } = this;
    const address = canonicalInboundAddress(channel.channelType, from);
    const type = optOut === 'ALL' ? 'endpoint.optout' : 'endpoint.optin';
    await deps.events.prepare([entry.appId]);
    const published: HeraldEvent[] = [];
    await deps.audience.setOptOut(
      entry.appId,
      channel.channelType,
      address,
      optOut,
      at,
      deps.events.eventsFor<OptOutChange>(
        (change) =>
          change.listChanged > 0 || change.endpointIds.length > 0
            ? [this.optEvent(entry, channel, type, change.endpointIds, reason, at)]
            : [],
        published,
      ),
    );
    deps.events.publish(published);
  }

  private optEvent(
    entry: InboxEntry,
    channel: StoredChannel,
    type: 'endpoint.optout' | 'endpoint.optin',
    endpointIds: readonly string[],
    reason: string,
    at: number,
  ): HeraldEvent {
    return {
      id: `${entry.id}-${type}`,
      type,
      appId: entry.appId,
      occurredAt: at,
      data: { channelType: channel.channelType, channelId: channel.id, endpointIds, reason },
    };
  }
}
