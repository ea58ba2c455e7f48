import type { HeraldEvent } from '../../domain/herald-event.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { ChangeEvents, EventOutbox, OutboxWriter } from '../../ports/event-outbox.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { StatusChange } from '../../ports/send-queue.js';
import type { Subscription, SubscriptionStore } from '../../ports/subscription-store.js';

export interface EventPublisherDeps {
  readonly subscriptions: SubscriptionStore;
  readonly outbox: EventOutbox;
  readonly bus: EventBus;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  /** How long an app's subscription list is trusted before it is read again. */
  readonly cacheMs?: number;
}

/**
 * Turns what happened into Herald events: stored for each matching subscription (durably, at least once) and
 * published on the live bus. Status changes go through `writerFor`, inside the transaction that makes them.
 *
 * @example
 * await publisher.prepare(appIds);
 * const events: HeraldEvent[] = [];
 * const changes = await queue.settle(settlements, now, publisher.writerFor(events));
 * publisher.publish(events);
 */
export class EventPublisher {
  private readonly cache = new Map<string, { subscriptions: Subscription[]; until: number }>();

  constructor(private readonly deps: EventPublisherDeps) {}

  /** Loads the subscription lists `writerFor` will need (it cannot read inside a transaction). */
  async prepare(appIds: Iterable<string>): Promise<void> {
    const now = this.deps.clock.now();
    for (const appId of new Set(appIds)) {
      const cached = this.cache.get(appId);
      if (cached && cached.until > now) continue;
      const subscriptions = await this.deps.subscriptions.list(appId);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(appId, { subscriptions, until: now + (this.deps.cacheMs ?? 5_000) });
    }
  }

  /** Loads the subscriptions of every app that has any (when the apps a transaction will touch are not known before). */
  async prepareAll(): Promise<void> {
    await this.prepare(await this.deps.subscriptions.appsWithSubscriptions());
  }

  /** Forgets an app's cached subscriptions after a change through this process. */
  invalidate(appId: string): void {
    this.cache.delete(appId);
  }

  /** An outbox writer that also collects the events it creates into `collected`, to publish after commit. */
  writerFor(collected: HeraldEvent[]): OutboxWriter {
    return this.eventsFor((changes) => changes.map((change) => this.statusEvent(change)), collected);
  }

  /**
   * The deliveries of the events `build` makes of a change, for a store to write in the change's transaction; the
   * events are also collected into `collected`, to publish after the commit. Call `prepare` for the apps first.
   */
  eventsFor<T>(build: (change: T) => readonly HeraldEvent[], collected: HeraldEvent[]): ChangeEvents<T> {
    return (change: T) => {
      const deliveries = [];
      for (const event of build(change)) {
        collected.push(event);
        for (const subscription of this.matching(event)) {
          deliveries.push({ id: this.deps.ids.next(), subscriptionId: subscription.id, event });
        }
      }
      return deliveries;
    };
  }

  /**
   * Stores deliveries for events that are not tied to a change's transaction, then publishes. After a crash between
   * the change and this, the event is lost unless the caller repeats both (a LINE follow's inbox event is processed
   * again, and the event's id is the same, so the outbox keeps it once).
   */
  async emit(events: readonly HeraldEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.prepare(events.map((e) => e.appId));
    const deliveries = this.eventsFor((all: readonly HeraldEvent[]) => all, [])(events);
    if (deliveries.length > 0) await this.deps.outbox.enqueue(deliveries, this.deps.clock.now());
    this.publish(events);
  }

  publish(events: readonly HeraldEvent[]): void {
    if (events.length > 0) this.deps.bus.publish(events);
  }

  newId(): string {
    return this.deps.ids.next();
  }

  private matching(event: HeraldEvent): Subscription[] {
    return (this.cache.get(event.appId)?.subscriptions ?? []).filter((s) => s.events.includes(event.type));
  }

  private statusEvent(change: StatusChange): HeraldEvent {
    return {
      id: this.deps.ids.next(),
      type: 'message.status',
      appId: change.appId,
      occurredAt: change.at,
      data: {
        messageId: change.messageId,
        status: change.status,
        channelId: change.channelId,
        ...(change.error ? { error: change.error } : {}),
        ...(change.campaignId ? { campaignId: change.campaignId } : {}),
        ...(change.endpointId ? { endpointId: change.endpointId } : {}),
      },
    };
  }
}
