import { describe, expect, it } from 'vitest';
import { isLocale } from './locale.js';
import { consentLanguage } from './whatsapp-window.js';

describe('isLocale', () => {
  it('takes Pinpoint’s language_COUNTRY and the shapes the consent template matches', () => {
    for (const locale of ['en_US', 'pt_BR', 'es_MX', 'en', 'en-US', 'EN_us', 'fil', 'es_419'])
      expect(isLocale(locale), locale).toBe(true);
    for (const locale of ['', 'English', 'en_', 'en__US', 'e', 'en_USA', 'en US', 'en_US.UTF-8', '12_US'])
      expect(isLocale(locale), locale).toBe(false);
  });

  it('takes only locales that reach a template language by their own or their language', () => {
    const languages = { pt_BR: 'pt_BR', en: 'en_US', es: 'es' };
    expect(consentLanguage('pt-BR', languages, 'x')).toBe('pt_BR');
    expect(consentLanguage('en_GB', languages, 'x')).toBe('en_US');
    expect(consentLanguage('es_419', languages, 'x')).toBe('es');
  });
});
