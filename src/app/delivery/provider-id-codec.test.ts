import { describe, expect, it } from 'vitest';
import { createAesGcmSecretBox } from '../../runtime/aes-gcm-secret-box.js';
import { createProviderIdCodec } from './provider-id-codec.js';

const SECRET = 'test-secret-key-0123456789abcdef';
const codec = (secret: string) => createProviderIdCodec(secret, createAesGcmSecretBox(secret));
const WAMID = 'wamid.HBgLMTQxNTc0NzAyNjUVAgASGBQzQjM4REI5MzM5RUNCM0FDMzE0RQA=';

describe('createProviderIdCodec', () => {
  it('digests an id the same way each time, per sender and per secret key, without the id in it', () => {
    const digest = codec(SECRET).digest('whatsapp-cloud:1', WAMID);
    expect(digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(codec(SECRET).digest('whatsapp-cloud:1', WAMID)).toBe(digest);
    expect(codec(SECRET).digest('whatsapp-cloud:2', WAMID)).not.toBe(digest);
    expect(codec(`${SECRET}-other`).digest('whatsapp-cloud:1', WAMID)).not.toBe(digest);
  });

  it('shows a sealed id back, and nothing when it was sealed under another key', () => {
    const sealed = codec(SECRET).seal(WAMID);
    expect(sealed).not.toContain('MTQxNTc0NzAyNjU');
    expect(codec(SECRET).open(sealed)).toBe(WAMID);
    expect(codec(`${SECRET}-other`).open(sealed)).toBeUndefined();
  });
});
