import type { MessageStatus } from '../domain/message-status.js';

/** Messages of one activity and treatment in one status (and with one error code). */
export interface ActivityMessageCount {
  readonly activityId: string;
  readonly treatmentId: string | null;
  readonly status: MessageStatus;
  readonly errorCode: string | null;
  readonly count: number;
}

/**
 * What campaigns read from the delivery side: message counts from the ledger, and when recipients last wrote
 * (WhatsApp's window). Read-only.
 *
 * Leaves out: writing messages (the send queue), and anything about one message (the ledger).
 *
 * @example
 * const rows = await metrics.countByActivity('cmp-1', ['act-1'], { byTreatment: false });
 * const windows = await metrics.lastInbound('whatsapp-cloud:1065', ['hash-1']);
 */
export interface CampaignMetrics {
  /**
   * Counts a campaign's messages by run, status and (for failures) error code; by treatment too when asked, which
   * reads every row (a single-treatment campaign's are all treatment "0" and are counted from an index alone).
   */
  countByActivity(
    campaignId: string,
    activityIds: readonly string[],
    options: { byTreatment: boolean },
  ): Promise<ActivityMessageCount[]>;
  /**
   * Whether the run still has messages waiting to be sent (queued or awaiting the window). A probe of the
   * (campaign, run, status) index that stops at the first one: asked every second of a million-message run.
   */
  hasPending(campaignId: string, activityId: string): Promise<boolean>;
  /** When each recipient (by hash) last wrote to the sender; absent when never. */
  lastInbound(senderKey: string, recipientHashes: readonly string[]): Promise<Map<string, number>>;
}
