/** One line of a simulated phone's conversation, as the sandbox page shows it. */
export interface PhoneEntry {
  readonly at: number;
  readonly direction: 'in' | 'out';
  /** Human-readable: the text, or `[template order_update en_US]`, `[image]`. */
  readonly summary: string;
  readonly providerMessageId?: string;
  status?: string;
}

export interface Phone {
  readonly provider: string;
  /** The business side: phone-number id, LINE channel, origination number. */
  readonly account: string;
  /** The simulated user: phone number or LINE user id. */
  readonly user: string;
  readonly entries: PhoneEntry[];
}

const MAX_ENTRIES = 200;

/**
 * Every simulated phone's conversation, kept in memory (the last 200 lines each) for the sandbox page and the
 * control API.
 */
export class PhoneBook {
  private readonly phones = new Map<string, Phone>();
  private readonly byMessageId = new Map<string, PhoneEntry>();

  record(provider: string, account: string, user: string, entry: PhoneEntry): void {
    const key = `${provider}\u0000${account}\u0000${user}`;
    let phone = this.phones.get(key);
    if (!phone) {
      phone = { provider, account, user, entries: [] };
      this.phones.set(key, phone);
    }
    phone.entries.push(entry);
    if (entry.providerMessageId) this.byMessageId.set(`${provider}\u0000${entry.providerMessageId}`, entry);
    if (phone.entries.length > MAX_ENTRIES) {
      const dropped = phone.entries.splice(0, phone.entries.length - MAX_ENTRIES);
      for (const old of dropped) {
        if (old.providerMessageId) this.byMessageId.delete(`${provider}\u0000${old.providerMessageId}`);
      }
    }
  }

  updateStatus(provider: string, providerMessageId: string, status: string): void {
    const entry = this.byMessageId.get(`${provider}\u0000${providerMessageId}`);
    if (entry) entry.status = status;
  }

  list(): Phone[] {
    return [...this.phones.values()];
  }

  find(provider: string, account: string, user: string): Phone | undefined {
    return this.phones.get(`${provider}\u0000${account}\u0000${user}`);
  }

  clear(): void {
    this.phones.clear();
    this.byMessageId.clear();
  }
}
