import { describe, expect, it } from 'vitest';
import { createAesGcmSecretBox } from './aes-gcm-secret-box.js';

const SECRET = 'test-secret-key-0123456789abcdef';

describe('createAesGcmSecretBox', () => {
  it('opens what it sealed, and never uses an IV twice, across refills of its random block', () => {
    const box = createAesGcmSecretBox(SECRET);
    const ivs = new Set<string>();
    for (let i = 0; i < 2_500; i++) {
      const sealed = box.seal(`value ${i}`);
      expect(box.open(sealed)).toBe(`value ${i}`);
      ivs.add(sealed.split('.')[1] ?? '');
    }
    expect(ivs.size).toBe(2_500);
  });

  it('refuses a value sealed under another key, or changed', () => {
    const sealed = createAesGcmSecretBox(SECRET).seal('wamid.HBgL');
    expect(() => createAesGcmSecretBox(`${SECRET}-other`).open(sealed)).toThrow();
    const [version, iv, tag, ciphertext] = sealed.split('.');
    const flipped = `${ciphertext?.[0] === 'A' ? 'B' : 'A'}${ciphertext?.slice(1)}`;
    expect(() => createAesGcmSecretBox(SECRET).open([version, iv, tag, flipped].join('.'))).toThrow();
    expect(() => createAesGcmSecretBox(SECRET).open('not sealed')).toThrow('not a sealed value');
  });
});
