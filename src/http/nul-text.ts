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
 * How deep request JSON may nest. No Herald body comes near it (a template's components are five levels); a body
 * nested thousands deep is refused before anything walks it recursively (it exhausted the stack: a 500).
 */
export const MAX_JSON_DEPTH = 64;

/** Where parsed JSON breaks the rules of text: a string or key holding U+0000 (its path), or nesting too deep. */
export type JsonTextProblem = { readonly nulAt: string } | { readonly tooDeep: true };

interface Visit {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Visit | undefined;
  readonly key: string | number | undefined;
}

/**
 * The first problem of parsed JSON, or undefined: walked with a stack of its own (no recursion), and the path
 * (`items[2].name`) is written out only for the string that holds U+0000.
 *
 * @example
 * jsonTextProblem({ items: [{ name: 'a' }, { name: 'b\u0000' }] }); // { nulAt: 'items[1].name' }
 */
export function jsonTextProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonTextProblem | undefined {
  const stack: Visit[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  // Depth first, in document order: children are pushed last to first.
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const current = visit.value;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return { nulAt: pathOf(visit) };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    // Parsed JSON is plain objects and arrays; a streamed upload's body is a stream, not data to scan.
    const prototype = Object.getPrototypeOf(current);
    if (!Array.isArray(current) && prototype !== Object.prototype && prototype !== null) continue;
    if (visit.depth >= maxDepth) return { tooDeep: true };
    const depth = visit.depth + 1;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--)
        stack.push({ value: current[i], depth, parent: visit, key: i });
      continue;
    }
    const keys = Object.keys(current);
    for (const key of keys) {
      if (key.includes('\u0000')) return { nulAt: pathOf({ value: key, depth, parent: visit, key }) };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (current as Record<string, unknown>)[key], depth, parent: visit, key });
    }
  }
  return undefined;
}

function pathOf(visit: Visit): string {
  const keys: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(at.key);
  let path = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as string | number;
    path = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  }
  return path;
}

/**
 * A copy with every U+0000 in strings and keys replaced by U+FFFD; the value itself when it holds none. For what
 * a provider sent (already checked for its depth by the caller, or small).
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string')
    return (value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutNul(item)) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[withoutNul(key)] = withoutNul((value as Record<string, unknown>)[key]);
  return out as T;
}
