import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, HeraldError } from './errors.js';

// The registry's table comes before the section on message failure codes, which lists codes of another kind.
const docs =
  fs
    .readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    .split('\n## Message failure codes')[0] ?? '';

/** The rows of the code table: code -> status, whatever the column padding. */
const documented = new Map(
  docs
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .filter((cells) => /^`HERALD_[A-Z_]+`$/.test(cells[1] ?? ''))
    .map((cells) => [(cells[1] ?? '').replaceAll('`', ''), Number(cells[2])]),
);

describe('error registry', () => {
  it('docs/errors.md lists every code with its status', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(documented.has(code), `${code} is missing from docs/errors.md`).toBe(true);
      expect(documented.get(code), `${code} has the wrong status in docs/errors.md`).toBe(entry.status);
    }
  });

  it('every code is raised somewhere (a documented code no answer carries misleads clients)', () => {
    const srcDir = new URL('../', import.meta.url);
    const sources = (fs.readdirSync(srcDir, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('errors.ts'))
      .map((file) => fs.readFileSync(new URL(file, srcDir), 'utf8'))
      .join('\n');
    expect(Object.keys(ERROR_CODES).filter((code) => !sources.includes(`'${code}'`))).toEqual([]);
  });

  it('docs/errors.md lists no code the registry lacks', () => {
    expect([...documented.keys()].filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it('codes are stable identifiers', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^HERALD_[A-Z][A-Z_]+$/);
  });

  it('an error carries its status and retryability from the registry', () => {
    const error = new HeraldError('HERALD_UNAVAILABLE', 'the database is restarting', { field: 'x' });
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(error.field).toBe('x');
  });
});
