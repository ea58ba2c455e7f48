import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { e164PhoneNumber, validPhoneNumber } from './valid-phone-number.js';

/** What `validPhoneNumber` must answer: the parsed number when `isValid()` says so. */
function reference(text: string): string | undefined {
  const phone = parsePhoneNumberFromString(text.startsWith('+') ? text : `+${text}`);
  return phone?.isValid() ? phone.number : undefined;
}

describe('validPhoneNumber', () => {
  it("answers as libphonenumber-js's isValid() over every country's numbers and their near misses", () => {
    const texts: string[] = [];
    for (const country of getCountries()) {
      const example = getExampleNumber(country, examples)?.number;
      if (!example) continue;
      const digits = example.slice(1);
      texts.push(
        example,
        `+${digits.slice(0, -1)}`,
        `+${digits}0`,
        `+${digits.slice(0, -1)}${(Number(digits.at(-1)) + 5) % 10}`,
        `+${digits.slice(0, 2)}${digits.slice(3)}${digits[2]}`,
      );
    }
    // Every area code of +1 (the US, Canada and the Caribbean share it), and of the other shared codes.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let area = 200; area < 1000; area++) {
      for (let i = 0; i < 3; i++) texts.push(`+1${area}${String(next() % 10_000_000).padStart(7, '0')}`);
    }
    for (const code of ['7', '44', '47', '61', '212', '262', '290', '358', '590', '599']) {
      for (let i = 0; i < 300; i++) texts.push(`+${code}${String(next()).slice(0, 6 + (i % 5))}`);
    }
    let valid = 0;
    for (const text of texts) {
      const expected = reference(text);
      expect([text, validPhoneNumber(text)?.number]).toEqual([text, expected]);
      if (expected) valid++;
    }
    // Both answers occur often enough for the comparison to mean something.
    expect(valid).toBeGreaterThan(texts.length / 4);
    expect(valid).toBeLessThan((texts.length * 3) / 4);
  });

  it('supplies the missing plus and normalises to E.164', () => {
    expect(validPhoneNumber('1 (650) 253-0000')?.number).toBe('+16502530000');
    expect(validPhoneNumber('+44 20 7031 3000')?.number).toBe('+442070313000');
    expect(validPhoneNumber('+1 650 000 0000')).toBeUndefined();
    expect(validPhoneNumber('not a number')).toBeUndefined();
  });
});

describe('e164PhoneNumber', () => {
  it('answers as libphonenumber-js over every +1 area code, with and without the plus, valid or not', () => {
    let seed = 11;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const texts: string[] = [];
    for (let area = 100; area < 1000; area++) {
      for (let i = 0; i < 12; i++) {
        const subscriber = String(next() % 10_000_000).padStart(7, '0');
        texts.push(`+1${area}${subscriber}`, `1${area}${subscriber}`);
      }
      // Exchanges starting 0 or 1 and N11 area codes are not US numbers.
      texts.push(`+1${area}0${String(next() % 1_000_000).padStart(6, '0')}`, `+1${area}1110000`);
    }
    texts.push('+1650253000', '+165025300000', '+1 650 253 0000', '+2650253000', '+16502530000 ');
    let valid = 0;
    let fast = 0;
    for (const text of texts) {
      const expected = reference(text);
      expect([text, e164PhoneNumber(text)]).toEqual([text, expected]);
      if (expected) valid++;
      if (expected && /^\+?1\d{10}$/.test(text)) fast++;
    }
    expect(valid).toBeGreaterThan(texts.length / 4);
    expect(valid).toBeLessThan(texts.length);
    expect(fast).toBeGreaterThan(1000);
  });

  it('normalises what the library normalises', () => {
    expect(e164PhoneNumber('16502530000')).toBe('+16502530000');
    expect(e164PhoneNumber('+1 (650) 253-0000')).toBe('+16502530000');
    expect(e164PhoneNumber('+442070313000')).toBe('+442070313000');
    expect(e164PhoneNumber('+16500000000')).toBeUndefined();
  });
});
