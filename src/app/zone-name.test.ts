import { describe, expect, it } from 'vitest';
import { zoneName } from './zone-name.js';

describe('zoneName', () => {
  it('takes IANA names and Pinpoint’s UTC offsets', () => {
    expect(zoneName('Europe/Paris')).toBe('Europe/Paris');
    expect(zoneName('UTC')).toBe('UTC');
    expect(zoneName('UTC+01')).toBe('UTC+1');
    expect(zoneName('UTC-11')).toBe('UTC-11');
    expect(zoneName('UTC+05:45')).toBe('UTC+5:45');
    expect(zoneName('UTC+15')).toBeUndefined();
    expect(zoneName('UTC+14')).toBe('UTC+14');
    expect(zoneName('UTC+14:30')).toBeUndefined();
    expect(zoneName('UTC-12')).toBe('UTC-12');
    expect(zoneName('UTC-12:30')).toBeUndefined();
    expect(zoneName('UTC-13')).toBeUndefined();
    expect(zoneName('UTC+05:17')).toBeUndefined();
    expect(zoneName('Nowhere/City')).toBeUndefined();
    expect(zoneName(undefined)).toBeUndefined();
  });

  it('answers a name asked again as the first time, without asking Intl again', () => {
    // Twice each: the second answer comes from the memo and must be the first one.
    for (const zone of ['America/Sao_Paulo', 'UTC+05:30', 'local', 'Not/AZone', 'America/Sao_Paulo']) {
      expect(zoneName(zone)).toBe(zoneName(zone));
    }
    expect(zoneName('local')).toBeUndefined();
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) zoneName('America/Sao_Paulo');
    // Asking Intl each time took about 7 s for this many on a 2-core machine.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
