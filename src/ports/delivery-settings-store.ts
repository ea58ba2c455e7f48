/**
 * An app's delivery settings: how WhatsApp's 24-hour window is handled (consent template, hold time, expiry
 * notice) and whether inbound WhatsApp messages are marked read.
 */
export interface DeliverySettings {
  readonly consentTemplate?: {
    readonly name: string;
    /** Locale or language -> template language: `{ "es": "es", "pt_BR": "pt_BR" }`. */
    readonly languages: Readonly<Record<string, string>>;
    readonly fallbackLanguage: string;
    /** Positional body parameters ({{1}}, {{2}}...), when the template has any. */
    readonly parameters?: readonly string[];
  };
  /** Seconds a free-form message waits for the user to write back; defaults to the configured hold time. */
  readonly holdSeconds?: number;
  /** Sent when a user writes after their held messages expired. */
  readonly expiryNotice?: { readonly text: string };
  /** Mark inbound WhatsApp messages read; defaults to the configured value. */
  readonly markRead?: boolean;
}

/**
 * @example
 * await settings.put(appId, { consentTemplate: { name: 'consent', languages: {}, fallbackLanguage: 'en_US' } }, now);
 */
export interface DeliverySettingsStore {
  get(appId: string): Promise<DeliverySettings>;
  put(appId: string, settings: DeliverySettings, at: number): Promise<void>;
}
