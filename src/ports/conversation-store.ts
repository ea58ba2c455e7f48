/**
 * Per (sender, recipient): when the user last wrote (WhatsApp's 24-hour window), whether the consent template went
 * out, whether an expiry notice is owed, and LINE's latest reply token.
 *
 * @example
 * const before = await conversations.recordInbound({ senderKey, recipientHash, appId, at, replyToken });
 * if (before?.noticePending) sendNotice();
 */
export interface ConversationStore {
  get(senderKey: string, recipientHash: string): Promise<Conversation | undefined>;
  /** The user wrote: opens the window and clears the consent state. Returns the state before. */
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
  setNoticePending(
    senderKey: string,
    recipientHash: string,
    appId: string,
    pending: boolean,
    at: number,
  ): Promise<void>;
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
  readonly noticePending: boolean;
}
