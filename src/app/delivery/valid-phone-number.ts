import {
  getCountries,
  getCountryCallingCode,
  Metadata,
  type PhoneNumber,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';

/**
 * The countries whose numbers are known valid once parsed: those that share their calling code with others
 * (+1, +7, +44...) and have no "leading digits" pattern. Parsing such a number tells the countries of its code
 * apart by checking it against each one's number-type patterns, which is what `isValid()` then does over again
 * for the country found (a third of the work of checking a US number). libphonenumber-js describes that search
 * in `getCountryByNationalNumber`; `valid-phone-number.test.ts` holds the two answers equal over every
 * country's numbers.
 */
const VALID_ONCE_PARSED: ReadonlySet<string> = (() => {
  const byCode = new Map<string, string[]>();
  for (const country of getCountries()) {
    const code = getCountryCallingCode(country);
    byCode.set(code, [...(byCode.get(code) ?? []), country]);
  }
  const metadata = new Metadata();
  const out = new Set<string>();
  for (const countries of byCode.values()) {
    if (countries.length < 2) continue;
    for (const country of countries) {
      metadata.selectNumberingPlan(country as Parameters<Metadata['selectNumberingPlan']>[0]);
      // An empty pattern is stored as 0, hence truthiness, as the library itself tests it.
      if (!metadata.numberingPlan?.leadingDigits()) out.add(country);
    }
  }
  return out;
})();

/**
 * The phone number in international format (`+` and the country calling code; a missing `+` is supplied) when
 * it is a valid number with the full ("max") metadata, else undefined.
 *
 * @example
 * validPhoneNumber('+1 650 253 0000')?.number; // '+16502530000'
 * validPhoneNumber('+1 650 000 0000'); // undefined
 */
export function validPhoneNumber(text: string): PhoneNumber | undefined {
  const phone = parsePhoneNumberFromString(text.startsWith('+') ? text : `+${text}`);
  if (!phone) return undefined;
  if (phone.country !== undefined && VALID_ONCE_PARSED.has(phone.country)) return phone;
  return phone.isValid() ? phone : undefined;
}

/**
 * A +1 number written as bare digits (`+16505551234`, `16505551234`) whose national part matches the United
 * States' number pattern: libphonenumber-js tries the countries of +1 in order, the United States first, so it
 * would find it a US number, valid once parsed (above). Null when the metadata does not have the shape this
 * relies on (the US first for +1, no leading-digits pattern, mobile numbers folded into the fixed-line pattern,
 * a national prefix of 1 that a national number from 2-9 cannot start with), which leaves every number to the
 * library.
 */
const US_NATIONAL: RegExp | null = (() => {
  // Methods the library has at run time but leaves out of its typings.
  const metadata = new Metadata() as unknown as MetadataInternals;
  if (metadata.getCountryCodesForCallingCode('1')?.[0] !== 'US' || !VALID_ONCE_PARSED.has('US')) return null;
  metadata.selectNumberingPlan('US');
  const plan = metadata.numberingPlan;
  const fixedLine = plan?.type('FIXED_LINE');
  if (
    !plan ||
    !fixedLine?.pattern() ||
    plan.type('MOBILE')?.pattern() !== '' ||
    plan.nationalPrefixForParsing() !== '1' ||
    !fixedLine.possibleLengths()?.includes(10)
  )
    return null;
  return new RegExp(`^(?:${plan.nationalNumberPattern()})$`).test('2000000000')
    ? new RegExp(`^(?:${fixedLine.pattern()})$`)
    : null;
})();

interface MetadataInternals {
  getCountryCodesForCallingCode(code: string): string[] | undefined;
  selectNumberingPlan(country: string): void;
  readonly numberingPlan?: {
    nationalNumberPattern(): string;
    nationalPrefixForParsing(): string | undefined;
    type(
      type: 'FIXED_LINE' | 'MOBILE',
    ): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
  };
}

const NANP_DIGITS = /^\+?1([2-9]\d{9})$/;

/**
 * `validPhoneNumber(text)?.number`, the E.164 form of a valid number, with a shortcut for the commonest case: a
 * US number already in E.164. Parsing one costs libphonenumber-js several tests of its 600-character pattern,
 * each compiled anew (most of the CPU of checking an import's phone numbers); here it is one test of the
 * pattern compiled once. Anything else, or a +1 number the US pattern does not take, goes to the library.
 *
 * @example
 * e164PhoneNumber('+16502530000'); // '+16502530000'
 * e164PhoneNumber('1 (650) 253-0000'); // '+16502530000' (through the library)
 */
export function e164PhoneNumber(text: string): string | undefined {
  if (US_NATIONAL) {
    const national = NANP_DIGITS.exec(text)?.[1];
    if (national !== undefined && US_NATIONAL.test(national)) return `+1${national}`;
  }
  return validPhoneNumber(text)?.number;
}
