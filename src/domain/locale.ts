/**
 * Locales as Pinpoint writes them, a language code and a country (`en_US`, `pt_BR`), and the shapes
 * `consentLanguage` reads alike: the language alone (`en`), a hyphen for the underscore (`en-US`), any case, a
 * three-letter language (`fil`) or a numeric region (`es_419`). Anything else would never match a template
 * language, so the consent template would silently go out in the fallback language.
 */
const LOCALE = /^[a-z]{2,3}(?:[_-](?:[a-z]{2}|\d{3}))?$/i;

/** The sentence that says which locales {@link isLocale} takes, for the errors that refuse one. */
export const LOCALE_RULE = 'a language code, alone or with its country: en, en_US, pt_BR (or en-US)';

/**
 * Whether `value` is a locale Herald can match a template language against.
 *
 * @example
 * isLocale('pt_BR');   // true
 * isLocale('en-US');   // true
 * isLocale('English'); // false
 */
export function isLocale(value: string): boolean {
  return LOCALE.test(value);
}
