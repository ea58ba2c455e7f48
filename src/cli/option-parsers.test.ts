import { describe, expect, it } from 'vitest';
import { channelType, httpUrl, integer, port, positiveNumber } from './option-parsers.js';

describe('CLI option parsers', () => {
  it('take good values and refuse bad ones by what they should be', () => {
    expect(positiveNumber('120')).toBe(120);
    expect(positiveNumber('0.5')).toBe(0.5);
    for (const bad of ['abc', '', ' ', '0', '-3', 'Infinity'])
      expect(() => positiveNumber(bad), bad).toThrow('a number greater than 0');
    expect(port('0')).toBe(0);
    expect(port('4010')).toBe(4010);
    for (const bad of ['abc', '', '-1', '65536', '80.5']) expect(() => port(bad), bad).toThrow('a port');
    expect(integer('-7')).toBe(-7);
    expect(() => integer('abc')).toThrow('a whole number');
    expect(httpUrl('https://sandbox.example.com/')).toBe('https://sandbox.example.com');
    for (const bad of ['notaurl', 'ftp://x', '']) expect(() => httpUrl(bad), bad).toThrow('URL');
    expect(channelType('sms')).toBe('SMS');
    expect(channelType('WHATSAPP')).toBe('WHATSAPP');
    for (const bad of ['', 'FAX', 'S MS'])
      expect(() => channelType(bad), bad).toThrow('one of WHATSAPP, LINE');
  });
});
