import type { DeliveryStatus } from '../domain/channel-event.js';
import type { ChannelType } from '../domain/channel-type.js';
import type { MessageStatus } from '../domain/message-status.js';
import type { OutboxWriter } from './event-outbox.js';
import type { StatusChange } from './send-queue.js';

export interface LedgerMessage {
  readonly id: string;
  readonly appId: string;
  readonly channelId: string;
  readonly channelType: ChannelType;
  readonly senderKey: string;
  /** Keyed hash of the address; the ledger never holds the address. */
  readonly recipientHash: string;
  readonly endpointId: string | null;
  readonly source: string;
  readonly contentKind: string;
  readonly templateName: string | null;
  readonly status: MessageStatus;
  readonly providerMessageId: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly attempts: number;
  readonly campaignId: string | null;
  readonly activityId: string | null;
  readonly treatmentId: string | null;
  readonly holdUntil: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface LedgerHistoryEntry {
  readonly status: MessageStatus;
  readonly at: number;
  readonly errorCode: string | null;
}

/** A provider status to apply, found by Herald's id (echoed callback data) or by the provider's id. */
export interface ProviderStatusUpdate {
  readonly senderKey: string;
  readonly messageId?: string;
  readonly providerMessageId: string;
  readonly status: DeliveryStatus;
  readonly at: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * The message ledger: statuses with their history, read by the API and updated by provider webhooks.
 * Updates are monotonic (see `allowedFrom` in domain/message-status.ts).
 *
 * @example
 * const { changes, unmatched } = await ledger.applyProviderStatuses([{ senderKey, providerMessageId: 'wamid.1', status: 'read', at }]);
 */
export interface MessageLedger {
  get(
    appId: string,
    messageId: string,
  ): Promise<(LedgerMessage & { history: LedgerHistoryEntry[] }) | undefined>;
  /** The message an Idempotency-Key created, with the hash of the request that created it. */
  findByIdempotencyKey(
    appId: string,
    key: string,
  ): Promise<{ messageId: string; status: MessageStatus; requestHash: string | null } | undefined>;
  list(
    appId: string,
    filter: { status?: MessageStatus; campaignId?: string; since?: number; beforeId?: string; limit: number },
  ): Promise<LedgerMessage[]>;
  /** Applies statuses; `unmatched` are indexes of updates whose message is not (yet) known. */
  applyProviderStatuses(
    updates: readonly ProviderStatusUpdate[],
    outbox?: OutboxWriter,
  ): Promise<{ changes: StatusChange[]; unmatched: number[] }>;
  /**
   * Seals up to `limit` provider ids written before the ledger sealed them (migration 0007); the number done, 0
   * when none is left.
   */
  sealProviderIds(limit: number): Promise<number>;
  /** Deletes messages (and their history) created before `before`. */
  purge(before: number, limit: number): Promise<number>;
}
