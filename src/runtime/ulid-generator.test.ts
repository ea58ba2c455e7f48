import { expect, it } from 'vitest';
import { createUlidGenerator } from './ulid-generator.js';

it('makes distinct lower-case ULIDs in creation order, past a refill of its random bytes', () => {
  const ids = createUlidGenerator();
  const made = Array.from({ length: 20_000 }, () => ids.next());
  expect(new Set(made).size).toBe(made.length);
  expect(made.every((id) => /^[0-9a-hjkmnp-tv-z]{26}$/.test(id))).toBe(true);
  expect([...made].sort()).toEqual(made);
});
