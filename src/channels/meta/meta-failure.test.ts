import { describe, expect, it } from 'vitest';
import { metaFailure, parseMetaError } from './meta-failure.js';

const failure = (code: number, status = 400, attempt = 1) =>
  metaFailure({ code, message: `(#${code}) title`, details: 'details' }, status, attempt);

describe('Meta failure classes', () => {
  it('keys on error.code, never on the HTTP status alone', () => {
    // Meta answers throughput errors with 400 and some setups with 429; both are throttling.
    expect(failure(130429, 400)).toMatchObject({ class: 'throttled', code: '130429', scope: 'sender' });
    expect(failure(130429, 429)).toMatchObject({ class: 'throttled', scope: 'sender' });
    // Code 3 comes with HTTP 500 but retrying a capability error cannot help.
    expect(failure(3, 500).class).toBe('permanent');
  });

  it('classifies throttling: throughput, app and management limits, and the pair rate for that recipient only', () => {
    for (const code of [4, 80007, 130429])
      expect(failure(code)).toMatchObject({ class: 'throttled', scope: 'sender' });
    expect(failure(131056, 400, 1)).toEqual({
      class: 'throttled',
      code: '131056',
      message: '(#131056) title: details',
      scope: 'recipient',
      retryAfterMs: 4_000,
    });
    expect(failure(131056, 400, 3)).toMatchObject({ retryAfterMs: 64_000 });
  });

  it('classifies transient errors as retryable', () => {
    for (const code of [131000, 131016, 131057]) expect(failure(code, 500).class).toBe('retryable');
    expect(metaFailure({ code: 2, message: 'x', isTransient: true }, 503).class).toBe('retryable');
  });

  it('classifies 131047 as window_closed', () => {
    expect(failure(131047)).toMatchObject({ class: 'window_closed', code: '131047' });
  });

  it('classifies bad tokens, bad parameters, undeliverable and template errors as permanent', () => {
    for (const code of [0, 10, 100, 190, 131008, 131009, 131026, 132000, 132001, 132012]) {
      expect(failure(code, code === 190 ? 401 : 400)).toMatchObject({
        class: 'permanent',
        code: String(code),
      });
    }
  });

  it('falls back to the HTTP status when there is no code', () => {
    expect(metaFailure({ message: 'bad gateway' }, 502)).toMatchObject({
      class: 'retryable',
      code: 'http_502',
    });
    expect(metaFailure({ message: 'slow down' }, 429)).toMatchObject({
      class: 'throttled',
      code: 'http_429',
    });
    expect(metaFailure({ message: 'nope' }, 404)).toMatchObject({ class: 'permanent', code: 'http_404' });
  });

  it('reads Meta’s error body, and survives anything else', () => {
    expect(
      parseMetaError(
        JSON.stringify({
          error: {
            message: '(#131056) pair rate limit hit',
            type: 'OAuthException',
            code: 131056,
            error_data: { messaging_product: 'whatsapp', details: 'Too many messages' },
            is_transient: false,
          },
        }),
      ),
    ).toEqual({
      code: 131056,
      message: '(#131056) pair rate limit hit',
      details: 'Too many messages',
      isTransient: false,
    });
    expect(parseMetaError('<html>502</html>')).toEqual({ message: '<html>502</html>' });
    expect(parseMetaError('')).toEqual({ message: 'empty response' });
    expect(parseMetaError('{"ok":true}')).toEqual({ message: '{"ok":true}' });
  });
});
