import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { nulAt, nulInRecord, withoutNul } from './nul-text.js';

describe('U+0000 in text', () => {
  it('names where parsed JSON holds it, in values and keys', () => {
    expect(nulAt({ items: [{ name: 'a' }, { name: 'b\u0000' }] }, '')).toBe('items[1].name');
    expect(nulAt({ attributes: { 'x\u0000': ['y'] } }, '')).toBe('attributes.x\u0000');
    expect(nulAt({ items: [{ name: 'a' }], n: 1, ok: true, none: null }, '')).toBeUndefined();
    // A streamed upload is not data to walk.
    expect(nulAt(Readable.from(['a\u0000']), '')).toBeUndefined();
  });

  it('names the path parameter or query value holding it', () => {
    const params = Object.create(null) as Record<string, string>;
    params.appId = 'a1';
    params.endpointId = 'e\u0000';
    expect(nulInRecord(params)).toBe('endpointId');
    expect(nulInRecord({ status: ['sent', 'read\u0000'] })).toBe('status');
    expect(nulInRecord({ status: 'sent' })).toBeUndefined();
  });

  it('replaces it with U+FFFD in a copy, leaving the rest as it was', () => {
    const event = { type: 'message', content: { kind: 'text', text: 'a\u0000b' }, tags: ['\u0000'], at: 5 };
    expect(withoutNul(event)).toEqual({
      type: 'message',
      content: { kind: 'text', text: 'a\uFFFDb' },
      tags: ['\uFFFD'],
      at: 5,
    });
    expect(event.content.text).toBe('a\u0000b');
  });
});
