import type { ChannelType } from '../domain/channel-type.js';
import type { MessageContent } from '../domain/message-content.js';
import type { MessageStatus } from '../domain/message-status.js';
import type { OutboxWriter } from './event-outbox.js';

/** A new ledger row. */
export interface NewMessage {
  readonly id: string;
  readonly appId: string;
  readonly channelId: string;
  readonly channelType: ChannelType;
  readonly senderKey: string;
  readonly recipientHash: string;
  readonly endpointId?: string;
  readonly source: 'api' | 'campaign' | 'console' | 'consent' | 'notice';
  readonly contentKind: MessageContent['kind'];
  readonly templateName?: string;
  readonly status: 'queued' | 'awaiting_window';
  readonly campaignId?: string;
  readonly activityId?: string;
  readonly treatmentId?: string;
  readonly idempotencyKey?: string;
  readonly requestHash?: string;
  readonly holdUntil?: number;
  readonly createdAt: number;
}

/** What a send job carries: the only place a recipient's address is kept. */
export interface SendJobPayload {
  readonly appId: string;
  readonly channelId: string;
  readonly to: string;
  readonly content: MessageContent;
  /**
   * The endpoint messaged, when there is one. A custom channel's payload carries the endpoint (Pinpoint sends
   * it): the sender reads it when the message goes out, so the job holds an id, not a copy (a copy per message
   * was a fifth of a campaign's fan-out and most of the bytes it wrote), and the receiver gets the endpoint as it
   * is then, as Pinpoint's did.
   */
  readonly endpointId?: string;
  readonly campaign?: {
    readonly campaignId: string;
    readonly treatmentId: string;
    readonly activityId: string;
    readonly scheduledTime: string;
  };
}

export interface EnqueueItem {
  readonly message: NewMessage;
  readonly job: {
    readonly payload: SendJobPayload;
    readonly runAt: number;
    readonly state: 'ready' | 'held';
    /** Enqueueing twice with the same key creates nothing the second time (campaign fan-out). */
    readonly uniqueKey?: string;
  };
}

export interface EnqueueResult {
  readonly messageId: string;
  readonly status: MessageStatus;
  /** False when the idempotency key or unique key already existed: the first message is returned. */
  readonly created: boolean;
  /** For an existing idempotency key: the request hash it was first used with. */
  readonly requestHash?: string | null;
}

export interface ClaimedJob {
  readonly id: string;
  readonly messageId: string;
  readonly senderKey: string;
  readonly recipientHash: string;
  readonly payload: SendJobPayload;
  /** Including this claim. */
  readonly attempts: number;
  /** The provider batch it was first sent in (see `assignBatch`). */
  readonly batchKey?: string;
}

/** What became of one claimed job. */
export type JobSettlement =
  | {
      readonly kind: 'sent';
      readonly job: ClaimedJob;
      readonly providerMessageId: string;
      /** The id carries the recipient's address (ChannelProvider.providerIdsCarryAddress): keep it sealed. */
      readonly sealId?: boolean;
      /**
       * Keep the job (parked, with the address) until the message has a final status: WhatsApp may still report
       * the window closed (131047) after accepting a free-form message, and the message is then held and resent.
       */
      readonly keepJob?: boolean;
      /** The provider reports nothing after accepting: the message goes straight on to `sent`, its last status. */
      readonly noReceipts?: boolean;
    }
  | {
      readonly kind: 'retry';
      readonly job: ClaimedJob;
      readonly runAt: number;
      readonly error: SettlementError;
      readonly refundAttempt?: boolean;
    }
  | { readonly kind: 'failed'; readonly job: ClaimedJob; readonly error: SettlementError }
  | {
      readonly kind: 'hold';
      readonly job: ClaimedJob;
      readonly holdUntil: number;
      readonly error: SettlementError;
    };

export interface SettlementError {
  readonly code: string;
  readonly message: string;
}

/** A status a message moved to, for events and metrics. */
export interface StatusChange {
  readonly messageId: string;
  readonly appId: string;
  readonly channelId: string;
  readonly status: MessageStatus;
  readonly at: number;
  readonly error?: SettlementError;
  readonly campaignId?: string;
  readonly endpointId?: string;
}

/**
 * The outbound queue: jobs in the same database as the ledger, enqueued in the same transaction as their
 * message, claimed by leases, partitioned by sender.
 *
 * Leaves out rate limiting and provider calls (the sender runner), and WhatsApp's window decisions (the send use
 * case): it only stores what they decide.
 *
 * @example
 * await queue.enqueue([{ message, job: { payload, runAt: now, state: 'ready' } }]);
 * if (await queue.acquireLease('whatsapp-cloud:1065', workerId, now, 10_000)) {
 *   const jobs = await queue.claim('whatsapp-cloud:1065', { limit: 100, now, leaseMs: 60_000, workerId });
 *   await queue.settle(jobs.map((job) => ({ kind: 'sent', job, providerMessageId: 'wamid...' })), now);
 * }
 */
export interface SendQueue {
  /** Inserts messages, their first history entry and their jobs in one transaction. */
  enqueue(items: readonly EnqueueItem[]): Promise<EnqueueResult[]>;
  /** Senders that have jobs ready to run now. */
  sendersWithWork(now: number): Promise<string[]>;
  /** Takes or renews a sender's lease; false when another live worker holds it. */
  acquireLease(senderKey: string, workerId: string, now: number, ttlMs: number): Promise<boolean>;
  releaseLease(senderKey: string, workerId: string): Promise<void>;
  /** Leases up to `limit` ready jobs of the sender, oldest first, plus the unsettled members of their batches. */
  claim(
    senderKey: string,
    options: { limit: number; now: number; leaseMs: number; workerId: string },
  ): Promise<ClaimedJob[]>;
  /**
   * Records, before the provider call, that these jobs go out together as one provider batch. A later claim of any
   * of them (after a crash) brings back every member still unsettled, so the same set is sent again and the
   * provider's idempotency key (derived from the set) makes it a no-op.
   */
  assignBatch(jobIds: readonly string[], batchKey: string): Promise<void>;
  /** Gives claimed jobs back untouched (shutdown, or tokens ran out). */
  unclaim(jobIds: readonly string[]): Promise<void>;
  /**
   * Records outcomes in one transaction: ledger statuses, history, the jobs deleted, rescheduled or held, and the
   * event deliveries `outbox` builds from the changes.
   */
  settle(settlements: readonly JobSettlement[], now: number, outbox?: OutboxWriter): Promise<StatusChange[]>;
  /** Releases every message held for a recipient, in the order they were sent. */
  releaseHeld(
    senderKey: string,
    recipientHash: string,
    now: number,
    outbox?: OutboxWriter,
  ): Promise<StatusChange[]>;
  /**
   * Cancels every message held for a recipient (status `cancelled` with `error`) and deletes their jobs: the
   * recipient asked to hear no more (a STOP keyword) while they waited for the window.
   */
  cancelHeld(
    senderKey: string,
    recipientHash: string,
    error: { readonly code: string; readonly message: string },
    now: number,
    outbox?: OutboxWriter,
  ): Promise<StatusChange[]>;
  /**
   * A provider reported a sent message's window closed (WhatsApp 131047, late): the message goes back to
   * `awaiting_window` with its parked job held, when `holdUntil(appId)` allows holding for its app. Returns the held
   * messages (for the consent template), the indexes of targets that cannot be held (no job left, or the app
   * holds nothing; those are failed like any other status), and of those whose send is still being recorded (the
   * status overtook it; try again shortly).
   */
  holdAfterWindowClosed(
    targets: readonly {
      readonly senderKey: string;
      readonly messageId?: string;
      readonly providerMessageId: string;
    }[],
    holdUntil: (appId: string) => number | undefined,
    now: number,
    outbox?: OutboxWriter,
  ): Promise<{ held: ClaimedJob[]; notHeld: number[]; inFlight: number[] }>;
  /** Deletes parked jobs (and the addresses they hold) of messages sent before `before` that never got a final status. */
  purgeParked(before: number, limit: number): Promise<number>;
  /** Expires held messages whose hold time has passed; returns them with their recipients. */
  expireHeld(
    now: number,
    limit: number,
    outbox?: OutboxWriter,
  ): Promise<(StatusChange & { senderKey: string; recipientHash: string })[]>;
  /** Queue depth and oldest ready job per sender, for metrics. */
  depth(now: number): Promise<{ senderKey: string; ready: number; held: number; oldestAgeMs: number }[]>;
}
