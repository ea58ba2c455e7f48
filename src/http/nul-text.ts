// U+0000 in text: PostgreSQL's text cannot hold it (SQLite's can), so Herald refuses it in requests and replaces it
// in what providers send, the same on both databases.

/** The name of the first path parameter or query value holding U+0000 (their objects are not plain). */
export function nulInRecord(record: unknown): string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  for (const key in record) {
    const value = (record as Record<string, unknown>)[key];
    if (key.includes('\u0000')) return key;
    if (typeof value === 'string' && value.includes('\u0000')) return key;
    if (Array.isArray(value) && value.some((v) => typeof v === 'string' && v.includes('\u0000'))) return key;
  }
  return undefined;
}

/**
 * The path (`items[2].name`) of the first string or key holding U+0000 in parsed JSON, or undefined.
 *
 * @example
 * nulAt({ items: [{ name: 'a' }, { name: 'b\u0000' }] }, ''); // 'items[1].name'
 */
export function nulAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  // Parsed JSON is plain objects and arrays; a streamed upload's body is a stream, not data to scan.
  const prototype = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulAt(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return at;
    const found = nulAt((value as Record<string, unknown>)[key], at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A copy with every U+0000 in strings and keys replaced by U+FFFD; the value itself when it holds none. */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string')
    return (value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutNul(item)) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[withoutNul(key)] = withoutNul((value as Record<string, unknown>)[key]);
  return out as T;
}
