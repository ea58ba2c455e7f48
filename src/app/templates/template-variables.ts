import { endpointFieldProblem } from '../../domain/endpoint-field.js';
import { type ErrorDetail, HeraldError } from '../../domain/errors.js';
import type {
  MessageTemplateDefinition,
  TemplateDefinition,
  TemplateVariable,
  WhatsAppTemplateDefinition,
  WhatsAppTemplateLanguage,
} from '../../domain/template.js';
import { parseText } from './placeholders.js';

const POSITIONAL = /^[1-9]\d*$/;
const NAMED = /^[a-z][a-z0-9_]*$/;

/**
 * The variables a template needs per message (see `TemplateVariable`), after checking its placeholders: a WhatsApp
 * template's are all positional (`{{1}}`..`{{n}}`, numbered from 1 without gaps) or all named, per its
 * `parameterFormat`; a message template's name endpoint fields. Throws HERALD_VALIDATION_FAILED listing every
 * problem with its field.
 *
 * @example
 * templateVariables({ kind: 'message', text: 'Hi {{User.UserAttributes.FirstName}}', defaults: {} });
 * // [{ name: 'User.UserAttributes.FirstName', component: 'text', type: 'text', required: true }]
 */
export function templateVariables(definition: TemplateDefinition): TemplateVariable[] {
  const problems: ErrorDetail[] = [];
  const variables =
    definition.kind === 'whatsapp'
      ? whatsAppVariables(definition, problems)
      : messageVariables(definition, problems);
  if (problems.length > 0) {
    const first = problems[0] as ErrorDetail;
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${first.field}: ${first.reason}`, {
      ...(first.field === undefined ? {} : { field: first.field }),
      details: problems,
    });
  }
  return variables;
}

function messageVariables(
  definition: MessageTemplateDefinition,
  problems: ErrorDetail[],
): TemplateVariable[] {
  const variables = new Map<string, TemplateVariable>();
  const scan = (text: string | undefined, field: string, component: 'text' | 'media') => {
    if (text === undefined) return;
    const parsed = parseText(text);
    if (!parsed.ok) {
      problems.push({ field, reason: parsed.reason });
      return;
    }
    for (const name of parsed.names) {
      const problem = endpointFieldProblem(name);
      if (problem) {
        problems.push({ field, reason: `{{${name}}}: ${problem}` });
        continue;
      }
      if (variables.has(name)) continue;
      const fallback = Object.hasOwn(definition.defaults, name) ? definition.defaults[name] : undefined;
      variables.set(name, {
        name,
        component,
        type: 'text',
        required: fallback === undefined,
        ...(fallback === undefined ? {} : { default: fallback }),
      });
    }
  };
  scan(definition.text, 'text', 'text');
  scan(definition.media?.url, 'media.url', 'media');
  scan(definition.media?.caption, 'media.caption', 'media');
  scan(definition.media?.previewUrl, 'media.previewUrl', 'media');
  for (const name of Object.keys(definition.defaults)) {
    const problem = endpointFieldProblem(name);
    if (problem) problems.push({ field: `defaults.${name}`, reason: problem });
  }
  return [...variables.values()];
}

function whatsAppVariables(
  definition: WhatsAppTemplateDefinition,
  problems: ErrorDetail[],
): TemplateVariable[] {
  const variables = new Map<string, TemplateVariable & { languages: string[] }>();
  const seenLanguages = new Set<string>();
  const add = (variable: TemplateVariable, language: string) => {
    const known = variables.get(variable.name);
    if (known) known.languages.push(language);
    else variables.set(variable.name, { ...variable, languages: [language] });
  };
  definition.languages.forEach((entry, i) => {
    const at = `languages[${i}]`;
    if (seenLanguages.has(entry.language))
      problems.push({ field: `${at}.language`, reason: `${entry.language} is listed twice` });
    seenLanguages.add(entry.language);
    for (const variable of languageVariables(definition, entry, at, problems)) add(variable, entry.language);
  });
  const all = definition.languages.length;
  return [...variables.values()].map(({ languages, ...variable }) =>
    languages.length === all ? variable : { ...variable, languages },
  );
}

function languageVariables(
  definition: WhatsAppTemplateDefinition,
  entry: WhatsAppTemplateLanguage,
  at: string,
  problems: ErrorDetail[],
): TemplateVariable[] {
  const out: TemplateVariable[] = [];
  const params = (text: string, field: string, component: 'header' | 'body') => {
    const parsed = parseText(text);
    if (!parsed.ok) {
      problems.push({ field, reason: parsed.reason });
      return;
    }
    const pattern = definition.parameterFormat === 'NAMED' ? NAMED : POSITIONAL;
    const bad = parsed.names.filter((name) => !pattern.test(name));
    if (bad.length > 0) {
      problems.push({
        field,
        reason:
          definition.parameterFormat === 'NAMED'
            ? `named parameters are lower-case letters, digits and _ (got ${bad.map((b) => `{{${b}}}`).join(', ')})`
            : `positional parameters are {{1}}, {{2}}... (got ${bad.map((b) => `{{${b}}}`).join(', ')}); set parameterFormat NAMED for named ones`,
      });
      return;
    }
    if (definition.parameterFormat === 'POSITIONAL') {
      const numbers = parsed.names.map(Number).sort((a, b) => a - b);
      if (numbers.some((n, i) => n !== i + 1)) {
        problems.push({ field, reason: 'positional parameters are numbered {{1}} to {{n}} without gaps' });
        return;
      }
      for (const n of numbers)
        out.push({ name: `${component}.${n}`, component, type: 'text', required: true });
    } else {
      for (const name of parsed.names)
        out.push({ name: `${component}.${name}`, component, type: 'text', required: true });
    }
  };
  const { header } = entry;
  if (header?.format === 'TEXT') params(header.text, `${at}.header.text`, 'header');
  else if (header?.format === 'LOCATION')
    out.push({ name: 'header.location', component: 'header', type: 'location', required: true });
  else if (header)
    out.push({
      name: 'header.media',
      component: 'header',
      type: header.format.toLowerCase() as 'image' | 'video' | 'document',
      required: true,
    });
  params(entry.body.text, `${at}.body.text`, 'body');
  for (const [index, button] of (entry.buttons ?? []).entries()) {
    if (button.type === 'URL') {
      const parsed = parseText(button.url);
      const names = parsed.ok ? parsed.names : [];
      if (
        !parsed.ok ||
        names.some((n) => n !== '1') ||
        (names.length === 1 && !button.url.endsWith('{{1}}'))
      ) {
        problems.push({
          field: `${at}.buttons[${index}].url`,
          reason: 'a URL button may only end in {{1}}, its dynamic suffix',
        });
      } else if (names.length === 1)
        out.push({ name: `buttons.${index}.url`, component: 'button', type: 'url_suffix', required: true });
    } else if (button.type === 'QUICK_REPLY')
      out.push({ name: `buttons.${index}.payload`, component: 'button', type: 'payload', required: false });
    else if (button.type === 'COPY_CODE')
      out.push({ name: `buttons.${index}.code`, component: 'button', type: 'coupon_code', required: true });
  }
  return out;
}
