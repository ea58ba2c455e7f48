import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonTextProblem, MAX_JSON_DEPTH, nulInRecord, withoutNul } from './nul-text.js';

describe('U+0000 in text', () => {
  it('names where parsed JSON holds it, in values and keys', () => {
    expect(jsonTextProblem({ items: [{ name: 'a' }, { name: 'b\u0000' }] })).toEqual({
      nulAt: 'items[1].name',
    });
    expect(jsonTextProblem({ attributes: { 'x\u0000': ['y'] } })).toEqual({ nulAt: 'attributes.x\u0000' });
    expect(jsonTextProblem([['a', 'b\u0000']])).toEqual({ nulAt: '[0][1]' });
    expect(jsonTextProblem('\u0000')).toEqual({ nulAt: '' });
    // The first in document order.
    expect(jsonTextProblem({ a: [{ b: 'x' }, 'y\u0000'], c: '\u0000' })).toEqual({ nulAt: 'a[1]' });
    expect(jsonTextProblem({ items: [{ name: 'a' }], n: 1, ok: true, none: null })).toBeUndefined();
    // A streamed upload is not data to walk.
    expect(jsonTextProblem(Readable.from(['a\u0000']))).toBeUndefined();
  });

  it('finds JSON nested past the limit without recursing, at any depth', () => {
    const nest = (levels: number) => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
      return value;
    };
    expect(jsonTextProblem(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonTextProblem(nest(MAX_JSON_DEPTH + 1))).toEqual({ tooDeep: true });
    expect(jsonTextProblem(nest(200_000))).toEqual({ tooDeep: true });
    expect(jsonTextProblem(nest(200_000), Number.POSITIVE_INFINITY)).toBeUndefined();
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
