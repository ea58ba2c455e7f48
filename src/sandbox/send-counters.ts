export interface RecipientCount {
  readonly provider: string;
  readonly account: string;
  readonly recipient: string;
  /** Messages the provider accepted for this recipient. */
  received: number;
  /** Accepted messages whose sender tag (Herald's message id) had been accepted before: a duplicate send. */
  duplicates: number;
}

/**
 * What each provider accepted, per recipient, and how many of those were duplicates. Tests read it to prove that
 * a crash or retry never sent a message twice (or, on WhatsApp, no more often than the messages in flight).
 */
export class SendCounters {
  private readonly recipients = new Map<string, RecipientCount>();
  private readonly tags = new Set<string>();
  private total = 0;
  private duplicateTotal = 0;

  /**
   * Records one accepted message. `tag` is the id the sender attached (WhatsApp biz_opaque_callback_data, SMS
   * context, LINE retry key); without a tag a message cannot be recognised as a duplicate.
   */
  record(provider: string, account: string, recipient: string, tag?: string): { duplicate: boolean } {
    const key = `${provider}\u0000${account}\u0000${recipient}`;
    let count = this.recipients.get(key);
    if (!count) {
      count = { provider, account, recipient, received: 0, duplicates: 0 };
      this.recipients.set(key, count);
    }
    count.received += 1;
    this.total += 1;
    let duplicate = false;
    if (tag !== undefined) {
      const tagKey = `${provider}\u0000${account}\u0000${tag}`;
      duplicate = this.tags.has(tagKey);
      if (duplicate) {
        count.duplicates += 1;
        this.duplicateTotal += 1;
      } else {
        this.tags.add(tagKey);
      }
    }
    return { duplicate };
  }

  snapshot(): { total: number; duplicates: number; uniqueTags: number; recipients: RecipientCount[] } {
    return {
      total: this.total,
      duplicates: this.duplicateTotal,
      uniqueTags: this.tags.size,
      recipients: [...this.recipients.values()].map((r) => ({ ...r })),
    };
  }

  /** Totals only: cheap enough to poll during a benchmark. */
  totals(): { total: number; duplicates: number; uniqueTags: number } {
    return { total: this.total, duplicates: this.duplicateTotal, uniqueTags: this.tags.size };
  }

  reset(): void {
    this.recipients.clear();
    this.tags.clear();
    this.total = 0;
    this.duplicateTotal = 0;
  }
}
