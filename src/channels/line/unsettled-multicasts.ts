import type { LineMessageObject } from './line-message-objects.js';

/** A multicast whose fate is unknown: it timed out, lost its connection or got a 5xx, so LINE may have sent it. */
export interface UnsettledMulticast {
  readonly retryKey: string;
  readonly recipients: readonly { readonly messageId: string; readonly to: string }[];
  readonly objects: readonly LineMessageObject[];
}

/** Messages remembered at most; the oldest go first (their retries are long done). */
const MAX_MESSAGES = 100_000;

/**
 * Multicasts that must be repeated exactly. A multicast's retry key covers its whole set of messages, but the
 * delivery engine may retry those messages in other batches, and a new set means a new key: LINE would send the
 * ones it had already accepted again. So an adapter remembers each unsettled multicast by message id, repeats it
 * with its own key when any of its messages comes back (LINE answers 409 if it had been accepted), and then
 * answers the other messages from memory.
 *
 * Leaves out crashes: the memory is the process's. After a restart, exactly-once needs the engine to retry a batch
 * with the same messages.
 *
 * @example
 * const pending = unsettled.pendingFor(message.messageId); // repeat `pending` with pending.retryKey
 * unsettled.settle(pending, ids);                           // then unsettled.takeConfirmed(otherId) answers the rest
 */
export class UnsettledMulticasts {
  private readonly pending = new Map<string, UnsettledMulticast>();
  private readonly confirmed = new Map<string, string>();

  remember(multicast: UnsettledMulticast): void {
    for (const { messageId } of multicast.recipients) this.pending.set(messageId, multicast);
    this.trim(this.pending);
  }

  pendingFor(messageId: string): UnsettledMulticast | undefined {
    return this.pending.get(messageId);
  }

  /** LINE took the multicast: its messages are sent, with these provider ids (one per recipient, in order). */
  settle(multicast: UnsettledMulticast, providerMessageIds: readonly string[]): void {
    multicast.recipients.forEach(({ messageId }, i) => {
      this.pending.delete(messageId);
      const id = providerMessageIds[i];
      if (id !== undefined) this.confirmed.set(messageId, id);
    });
    this.trim(this.confirmed);
  }

  /** LINE refused the multicast for good: nothing was sent, so its messages may go out in any new batch. */
  forget(multicast: UnsettledMulticast): void {
    for (const { messageId } of multicast.recipients) this.pending.delete(messageId);
  }

  /** The provider id of a message sent by a repeated multicast it was not part of the call for, once. */
  takeConfirmed(messageId: string): string | undefined {
    const id = this.confirmed.get(messageId);
    if (id !== undefined) this.confirmed.delete(messageId);
    return id;
  }

  knows(messageId: string): boolean {
    return this.pending.has(messageId) || this.confirmed.has(messageId);
  }

  private trim(map: Map<string, unknown>): void {
    for (const key of map.keys()) {
      if (map.size <= MAX_MESSAGES) break;
      map.delete(key);
    }
  }
}
