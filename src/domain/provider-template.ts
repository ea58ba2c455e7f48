/**
 * A message template as the provider holds it (WhatsApp: approved per name and language). Herald's campaign
 * templates import these ("templates sync"); sending one uses `MessageContent` of kind `template`.
 */
export interface ProviderTemplate {
  readonly name: string;
  /** e.g. `en_US`. */
  readonly language: string;
  /** `MARKETING`, `UTILITY`, `AUTHENTICATION`. */
  readonly category: string;
  /** `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`: only approved templates can be sent. */
  readonly status: string;
  /** Positional (`{{1}}`) or named (`{{first_name}}`) parameters. */
  readonly parameterFormat: 'POSITIONAL' | 'NAMED';
  /** The components exactly as the provider returns them (HEADER, BODY, FOOTER, BUTTONS). */
  readonly components: readonly Readonly<Record<string, unknown>>[];
}
