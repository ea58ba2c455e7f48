import type { ChannelEvent } from '../domain/channel-event.js';

export interface InboxEntry {
  readonly id: string;
  readonly appId: string;
  readonly channelId: string;
  readonly senderKey: string;
  readonly event: ChannelEvent;
  readonly receivedAt: number;
  readonly attempts: number;
}

/**
 * Verified webhook events, stored before the provider is answered and processed afterwards. Deduplicated on
 * (app, channel, provider event id).
 *
 * @example
 * const fresh = await inbox.append(entries); // ids of the new ones
 * const batch = await inbox.claim({ limit: 500, now, leaseMs: 30_000 });
 * await inbox.complete(batch.map((e) => e.id), now);
 */
export interface InboxStore {
  /**
   * Inserts the new events, ignores the ones already stored; returns the ids of the new ones. With `lockedUntil`,
   * they are stored already leased (one attempt) by a process that will work on them itself.
   */
  append(
    entries: readonly Omit<InboxEntry, 'attempts'>[],
    options?: { lockedUntil?: number },
  ): Promise<string[]>;
  /** Leases unprocessed events (oldest first) for `leaseMs`. */
  claim(options: { limit: number; now: number; leaseMs: number }): Promise<InboxEntry[]>;
  /**
   * Marks events processed. Their payload (a provider's raw event: phone numbers, message text) is dropped then,
   * and only the event id stays, for deduplicating redeliveries until the retention purges the row; with
   * `keepPayload` (events given up on) it stays for an operator to look at until then.
   */
  complete(ids: readonly string[], now: number, options?: { keepPayload?: boolean }): Promise<void>;
  /** Gives events back for another try after `retryAt`. */
  release(ids: readonly string[], retryAt: number): Promise<void>;
  /** Unprocessed events and the age of the oldest, for metrics. */
  backlog(now: number): Promise<{ count: number; oldestAgeMs: number }>;
  /** Deletes processed events received before `before`. */
  purge(before: number): Promise<number>;
}
