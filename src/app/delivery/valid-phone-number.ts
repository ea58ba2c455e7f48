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
