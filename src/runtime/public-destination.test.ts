import { describe, expect, it } from 'vitest';
import { isPublicAddress, publicOnlyLookup, refuseNonPublicLiteral } from './public-destination.js';

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::', false],
    ['::1', false],
    ['fc00::1', false],
    ['fd12:3456::1', false],
    ['fe80::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['not an address', false],
    ['8.8.8.8', true],
    ['93.184.216.34', true],
    ['::ffff:8.8.8.8', true],
    ['2606:4700:4700::1111', true],
  ])('%s -> %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('refuseNonPublicLiteral', () => {
  it('refuses internal addresses written in a URL, bracketed or not, and lets names and public addresses by', () => {
    for (const host of ['127.0.0.1', '[::1]', '169.254.169.254', '10.0.0.8']) {
      expect(() => refuseNonPublicLiteral(host)).toThrow(
        expect.objectContaining({ code: 'HERALD_DESTINATION_REFUSED' }),
      );
    }
    expect(() => refuseNonPublicLiteral('graph.facebook.com')).not.toThrow();
    expect(() => refuseNonPublicLiteral('8.8.8.8')).not.toThrow();
  });
});

describe('publicOnlyLookup', () => {
  it('refuses a name that resolves to an internal address', async () => {
    const error = await new Promise<unknown>((resolve) =>
      publicOnlyLookup('localhost', { all: true }, (err) => resolve(err)),
    );
    expect(error).toMatchObject({ code: 'HERALD_DESTINATION_REFUSED' });
  });

  it('passes on a lookup error as it is', async () => {
    const error = await new Promise<unknown>((resolve) =>
      publicOnlyLookup('no-such-host.invalid', {}, (err) => resolve(err)),
    );
    expect(error).toMatchObject({ code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) });
  });
});
