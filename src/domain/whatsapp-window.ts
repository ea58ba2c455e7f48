/** WhatsApp's customer-service window: free-form messages reach a user only this long after they last wrote. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

export function isWindowOpen(lastInboundAt: number | null | undefined, now: number): boolean {
  return lastInboundAt != null && now - lastInboundAt < WINDOW_MS;
}

/**
 * The consent template's language for a user: the exact locale (`es_MX`), then its language (`es`), then the
 * fallback. `languages` maps a locale or language to a template language code.
 *
 * @example
 * consentLanguage('pt_BR', { pt: 'pt_BR', es: 'es' }, 'en_US'); // 'pt_BR'
 * consentLanguage(undefined, { es: 'es' }, 'en_US');            // 'en_US'
 */
export function consentLanguage(
  locale: string | undefined,
  languages: Readonly<Record<string, string>>,
  fallback: string,
): string {
  if (locale) {
    const normalised = locale.replace('-', '_');
    const exact = languages[normalised] ?? languages[normalised.toLowerCase()];
    if (exact) return exact;
    const language = normalised.split('_')[0]?.toLowerCase();
    if (language && languages[language]) return languages[language];
  }
  return fallback;
}
