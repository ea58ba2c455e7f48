import type { z } from 'zod';
import { type ErrorDetail, HeraldError } from '../domain/errors.js';

/** `['items', 3, 'address']` -> `items[3].address`, with an optional prefix. */
export function issuePath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out = out ? `${out}.${String(part)}` : String(part);
  }
  return out;
}

/** A zod failure as Herald's validation error, each issue a detail with its field path. */
export function validationError(error: z.ZodError, prefix = ''): HeraldError {
  const details: ErrorDetail[] = [];
  let onlyUnknown = true;
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        details.push({ field: issuePath([...issue.path, key], prefix), reason: 'unknown field' });
    } else {
      onlyUnknown = false;
      details.push({ field: issuePath(issue.path, prefix) || prefix || '(body)', reason: issue.message });
    }
  }
  const first = details[0];
  return new HeraldError(
    onlyUnknown ? 'HERALD_UNKNOWN_FIELD' : 'HERALD_VALIDATION_FAILED',
    first ? `${first.field}: ${first.reason}` : 'invalid',
    {
      ...(first?.field ? { field: first.field } : {}),
      details,
    },
  );
}
