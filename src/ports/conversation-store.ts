/**
 * Per (sender, recipient): when the user last wrote (WhatsApp's 24-hour window), whether the consent template went
 * out, whether an expiry notice is owed, and LINE's latest reply token.
 *
 * @example
 * const before = await conversations.recordInbound({ senderKey, recipientHash, appId, at, replyToken });
 * if (before?.noticeOwedSince) { await sendNotice(); await conversations.clearNotice(senderKey, recipientHash, before.noticeOwedSince); }
 */
export interface ConversationStore {
  get(senderKey: string, recipientHash: string): Promise<Conversation | undefined>;
  /**
   * The user wrote: opens the window and clears the consent state. Returns the state before. An owed expiry notice
   * stays owed until `clearNotice`: a crash between the two leaves it to the next attempt.
   */
  recordInbound(input: {
    senderKey: string;
    recipientHash: string;
    appId: string;
    at: number;
    replyToken?: string;
  }): Promise<Conversation | undefined>;
  /**
   * Claims the right to send the consent template: true only for the first caller since the user last wrote (or
   * since the previous consent is older than `resendAfterMs`).
   */
  claimConsent(input: {
    senderKey: string;
    recipientHash: string;
    appId: string;
    messageId: string;
    at: number;
    resendAfterMs: number;
  }): Promise<boolean>;
  /** Owes the user the app's expiry notice since `at` (pending), or not. */
  setNoticePending(
    senderKey: string,
    recipientHash: string,
    appId: string,
    pending: boolean,
    at: number,
  ): Promise<void>;
  /** The notice owed since `owedSince` went out (or is not to): no longer owed, unless a newer one is. */
  clearNotice(senderKey: string, recipientHash: string, owedSince: number): Promise<void>;
  /** Takes a reply token younger than `maxAgeMs`, once. */
  takeReplyToken(
    senderKey: string,
    recipientHash: string,
    now: number,
    maxAgeMs: number,
  ): Promise<string | undefined>;
}

export interface Conversation {
  readonly senderKey: string;
  readonly recipientHash: string;
  readonly appId: string;
  readonly lastInboundAt: number | null;
  readonly consentMessageId: string | null;
  readonly consentSentAt: number | null;
  /** Since when the notice is owed (an id for it: the same in every attempt to send it); null when none is. */
  readonly noticeOwedSince: number | null;
}
