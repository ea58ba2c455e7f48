import Mustache from 'mustache';

// Parsed templates are kept by the compiled campaign message, not in mustache's global cache.
Mustache.templateCache = undefined;

/** A text cut into literal parts and `{{name}}` placeholders. */
export type TextPart = { readonly literal: string } | { readonly name: string };

export type ParsedText =
  | { readonly ok: true; readonly parts: readonly TextPart[]; readonly names: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Cuts a text into literals and placeholders with mustache's parser. Messages are not HTML, so `{{x}}`, `{{{x}}}`
 * and `{{&x}}` are the same plain substitution; sections, partials and delimiter changes are refused (a message
 * template fills values in, it has no logic).
 *
 * @example
 * parseText('Hi {{User.UserAttributes.FirstName}}!'); // { ok: true, parts: [{literal:'Hi '}, {name:'User...'}, {literal:'!'}], names: ['User...'] }
 */
export function parseText(text: string): ParsedText {
  let tokens: unknown[];
  try {
    tokens = Mustache.parse(text);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const parts: TextPart[] = [];
  const names: string[] = [];
  for (const token of tokens as [string, string][]) {
    const [type, value] = token;
    if (type === 'text') parts.push({ literal: value });
    else if (type === 'name' || type === '&') {
      parts.push({ name: value });
      if (!names.includes(value)) names.push(value);
    } else if (type === '!') {
      // A comment renders as nothing.
    } else {
      return {
        ok: false,
        reason: `{{${type}${value}}}: sections, partials and delimiter changes are not supported; use {{field}} placeholders`,
      };
    }
  }
  return { ok: true, parts, names };
}

/**
 * Fills the placeholders; `missing` lists those `resolve` has no value for (then no text is produced: a message is
 * never sent half-filled).
 *
 * @example
 * fill(parts, (name) => values[name]); // { ok: true, text: 'Hi Jane!' }
 */
export function fill(
  parts: readonly TextPart[],
  resolve: (name: string) => string | undefined,
): { ok: true; text: string } | { ok: false; missing: string[] } {
  let text = '';
  let missing: string[] | undefined;
  for (const part of parts) {
    if ('literal' in part) {
      text += part.literal;
      continue;
    }
    const value = resolve(part.name);
    if (value === undefined) {
      missing ??= [];
      if (!missing.includes(part.name)) missing.push(part.name);
    } else text += value;
  }
  return missing ? { ok: false, missing } : { ok: true, text };
}
