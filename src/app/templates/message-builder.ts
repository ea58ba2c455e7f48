import type { Endpoint } from '../../domain/endpoint.js';
import { endpointField, endpointFieldProblem } from '../../domain/endpoint-field.js';
import { type ErrorDetail, HeraldError } from '../../domain/errors.js';
import type {
  MessageContent,
  TemplateButtonParameter,
  TemplateParameter,
} from '../../domain/message-content.js';
import type {
  Template,
  TemplateMedia,
  TemplateVariable,
  VariableMapping,
  WhatsAppTemplateDefinition,
  WhatsAppTemplateLanguage,
} from '../../domain/template.js';
import { consentLanguage } from '../../domain/whatsapp-window.js';
import { fill, parseText, type TextPart } from './placeholders.js';
import { templateVariables } from './template-variables.js';

/** Where the values come from: an endpoint's fields, values given by name (previews), or both (given ones win). */
export interface BuildInput {
  readonly endpoint?: Endpoint;
  readonly values?: Readonly<Record<string, string>>;
}

export type BuildResult =
  | { readonly ok: true; readonly content: MessageContent }
  | { readonly ok: false; readonly missing: readonly string[] };

/**
 * One message, compiled once (placeholders parsed, mappings checked) and built per endpoint. A variable without a
 * value and without a default makes `build` answer `missing` instead of a message: nothing half-filled is sent.
 *
 * @example
 * const builder = compileInlineMessage({ text: 'Hi {{User.UserAttributes.FirstName}}', defaults: {} });
 * builder.build({ endpoint }); // { ok: true, content: { kind: 'text', text: 'Hi Jane' } }
 */
export interface MessageBuilder {
  readonly contentKind: MessageContent['kind'];
  /** WhatsApp templates: the provider's template name (recorded on each ledger row). */
  readonly templateName?: string;
  build(input: BuildInput): BuildResult;
}

/** A text/media message written in place (or a message template's definition), with defaults by placeholder. */
export function compileInlineMessage(
  message: { readonly text?: string; readonly media?: TemplateMedia },
  defaults: Readonly<Record<string, string>>,
  field = '',
): MessageBuilder {
  // Checks the placeholders (each names an endpoint field); throws with every problem.
  withField(field, () =>
    templateVariables({
      kind: 'message',
      ...(message.text === undefined ? {} : { text: message.text }),
      ...(message.media === undefined ? {} : { media: message.media }),
      defaults,
    }),
  );
  if ((message.text === undefined) === (message.media === undefined)) {
    throw new HeraldError(
      'HERALD_VALIDATION_FAILED',
      `${prefix(field)}give text, or media (with its caption)`,
      {
        field: field || 'text',
      },
    );
  }
  const parts = (text: string | undefined) => (text === undefined ? undefined : partsOf(text));
  const text = parts(message.text);
  const media = message.media;
  const url = parts(media?.url);
  const caption = parts(media?.caption);
  const previewUrl = parts(media?.previewUrl);
  return {
    contentKind: text ? 'text' : 'media',
    build(input) {
      const resolve = (name: string) =>
        given(input.values, name) ??
        (input.endpoint ? endpointField(input.endpoint, name) : undefined) ??
        given(defaults, name);
      const missing: string[] = [];
      const render = (p: readonly TextPart[] | undefined) => {
        if (!p) return undefined;
        const filled = fill(p, resolve);
        if (filled.ok) return filled.text;
        for (const name of filled.missing) if (!missing.includes(name)) missing.push(name);
        return '';
      };
      if (text) {
        const body = render(text) ?? '';
        return missing.length > 0
          ? { ok: false, missing }
          : { ok: true, content: { kind: 'text', text: body } };
      }
      const m = media as TemplateMedia;
      const content: MessageContent = {
        kind: 'media',
        mediaType: m.mediaType,
        url: render(url) ?? m.url,
        ...optional('caption', render(caption)),
        ...optional('previewUrl', render(previewUrl)),
        ...optional('filename', m.filename),
        ...optional('durationMs', m.durationMs),
      };
      return missing.length > 0 ? { ok: false, missing } : { ok: true, content };
    },
  };
}

/**
 * A stored template as a message: a message template's text or media, or a WhatsApp template in the language
 * chosen per endpoint (the given `language`; else the endpoint's locale, `es_MX` then `es`; else
 * `fallbackLanguage`; else the template's first language), its variables filled by `variables`.
 * Throws HERALD_VALIDATION_FAILED when a mapping names an unknown variable or endpoint field, a required variable
 * has no mapping, or a language is not one of the template's.
 */
export function compileTemplateMessage(
  template: Template,
  options: {
    readonly language?: string;
    readonly fallbackLanguage?: string;
    readonly variables?: Readonly<Record<string, VariableMapping>>;
    readonly defaults?: Readonly<Record<string, string>>;
    /** Previews pass values directly: required variables need no mapping. */
    readonly requireMappings?: boolean;
  },
  field = '',
): MessageBuilder {
  const definition = template.definition;
  if (definition.kind === 'message') {
    if (options.variables && Object.keys(options.variables).length > 0) {
      throw new HeraldError(
        'HERALD_VALIDATION_FAILED',
        `${prefix(field)}variables: a message template's placeholders name endpoint fields; give defaults instead`,
        { field: `${field ? `${field}.` : ''}variables` },
      );
    }
    return compileInlineMessage(
      {
        ...(definition.text === undefined ? {} : { text: definition.text }),
        ...(definition.media === undefined ? {} : { media: definition.media }),
      },
      { ...definition.defaults, ...options.defaults },
      field,
    );
  }
  return compileWhatsApp(template.name, definition, options, field);
}

function compileWhatsApp(
  name: string,
  definition: WhatsAppTemplateDefinition,
  options: Parameters<typeof compileTemplateMessage>[1],
  field: string,
): MessageBuilder {
  const variables = templateVariables(definition);
  const byName = new Map(variables.map((v) => [v.name, v]));
  const mappings = options.variables ?? {};
  const problems: ErrorDetail[] = [];
  const at = (key: string) => `${field ? `${field}.` : ''}${key}`;
  for (const [variable, mapping] of Object.entries(mappings)) {
    if (!byName.has(variable)) {
      problems.push({
        field: at(`variables.${variable}`),
        reason: `template ${name} has no variable ${variable}; it has ${[...byName.keys()].join(', ') || 'none'}`,
      });
    } else if ('field' in mapping) {
      const problem = endpointFieldProblem(mapping.field);
      if (problem) problems.push({ field: at(`variables.${variable}.field`), reason: problem });
    }
  }
  if (options.requireMappings !== false) {
    for (const variable of variables) {
      if (variable.required && !Object.hasOwn(mappings, variable.name))
        problems.push({
          field: at(`variables.${variable.name}`),
          reason: `template ${name} needs a value for ${variable.name}: map it to an endpoint field or a value`,
        });
    }
  }
  const languages = definition.languages.map((l) => l.language);
  for (const [key, language] of [
    ['language', options.language],
    ['fallbackLanguage', options.fallbackLanguage],
  ] as const) {
    if (language !== undefined && !languages.includes(language))
      problems.push({
        field: at(key),
        reason: `template ${name} has no ${language} translation; it has ${languages.join(', ')}`,
      });
  }
  if (problems.length > 0) {
    const first = problems[0] as ErrorDetail;
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${first.field}: ${first.reason}`, {
      ...(first.field === undefined ? {} : { field: first.field }),
      details: problems,
    });
  }

  const choices: Record<string, string> = {};
  for (const language of [...languages].reverse()) {
    choices[language] = language;
    choices[language.toLowerCase()] = language;
    const base = language.split('_')[0]?.toLowerCase();
    if (base) choices[base] = language;
  }
  const fallback = options.fallbackLanguage ?? languages[0] ?? 'en_US';
  const compiled = new Map(
    definition.languages.map((entry) => [entry.language, compileLanguage(entry, definition)] as const),
  );

  return {
    contentKind: 'template',
    templateName: name,
    build(input) {
      const language =
        options.language ?? consentLanguage(input.endpoint?.demographic.locale, choices, fallback);
      const entry = compiled.get(language) ?? compiled.get(fallback);
      if (!entry) return { ok: false, missing: ['language'] };
      const missing: string[] = [];
      // WhatsApp refuses a blank parameter: a blank value counts as none, so the variable's mapping or default
      // applies, and else it is missing (the send API and previews answer 422, a campaign skips the endpoint).
      const value = (variable: TemplateVariable): string | undefined => {
        const direct = nonBlank(given(input.values, variable.name));
        if (direct !== undefined) return direct;
        const mapping = Object.hasOwn(mappings, variable.name) ? mappings[variable.name] : undefined;
        let found: string | undefined;
        if (mapping && 'value' in mapping) found = mapping.value;
        else if (mapping)
          found = (input.endpoint && endpointField(input.endpoint, mapping.field)) ?? mapping.default;
        found = nonBlank(found);
        if (found === undefined && variable.required) missing.push(variable.name);
        return found;
      };
      const header = entry.header ? headerParameter(entry.header, value, missing) : undefined;
      const body = entry.body.map((v) => ({
        type: 'text' as const,
        text: value(v) ?? '',
        ...(definition.parameterFormat === 'NAMED' ? { name: v.name.slice('body.'.length) } : {}),
      }));
      const buttons: TemplateButtonParameter[] = [];
      for (const { index, subType, variable } of entry.buttons) {
        const v = value(variable);
        if (v !== undefined) buttons.push({ index, subType, value: v });
      }
      if (missing.length > 0) return { ok: false, missing };
      return {
        ok: true,
        content: {
          kind: 'template',
          name,
          language: entry.language,
          ...(header ? { header } : {}),
          ...(body.length > 0 ? { body } : {}),
          ...(buttons.length > 0 ? { buttons } : {}),
        },
      };
    },
  };
}

interface CompiledLanguage {
  readonly language: string;
  readonly header?: TemplateVariable;
  readonly body: readonly TemplateVariable[];
  readonly buttons: readonly {
    index: number;
    subType: TemplateButtonParameter['subType'];
    variable: TemplateVariable;
  }[];
}

/** One translation's variables in the order Meta takes its parameters. */
function compileLanguage(
  entry: WhatsAppTemplateLanguage,
  definition: WhatsAppTemplateDefinition,
): CompiledLanguage {
  const variables = templateVariables({ ...definition, languages: [entry] });
  const body = variables.filter((v) => v.component === 'body');
  if (definition.parameterFormat === 'POSITIONAL')
    body.sort((a, b) => Number(a.name.slice(5)) - Number(b.name.slice(5)));
  const subTypes = { url_suffix: 'url', payload: 'quick_reply', coupon_code: 'copy_code' } as const;
  const header = variables.find((v) => v.component === 'header');
  return {
    language: entry.language,
    ...(header ? { header } : {}),
    body,
    buttons: variables
      .filter((v) => v.component === 'button')
      .map((variable) => ({
        index: Number(variable.name.split('.')[1]),
        subType: subTypes[variable.type as keyof typeof subTypes],
        variable,
      })),
  };
}

function headerParameter(
  variable: TemplateVariable,
  value: (variable: TemplateVariable) => string | undefined,
  missing: string[],
): TemplateParameter | undefined {
  const v = value(variable);
  if (v === undefined) return undefined;
  if (variable.type === 'text') return { type: 'text', text: v };
  if (variable.type === 'location') {
    const [latitude, longitude] = v.split(',').map((n) => Number(n.trim()));
    if (
      latitude === undefined ||
      longitude === undefined ||
      !Number.isFinite(latitude) ||
      !Number.isFinite(longitude)
    ) {
      missing.push(variable.name);
      return undefined;
    }
    return { type: 'location', latitude, longitude };
  }
  return { type: variable.type as 'image' | 'video' | 'document', url: v };
}

/** Pinpoint's custom-channel `Data`: the same for every endpoint. */
export function compileCustomMessage(data: string): MessageBuilder {
  return {
    contentKind: 'custom',
    build: () => ({ ok: true, content: { kind: 'custom', data } }),
  };
}

function partsOf(text: string): readonly TextPart[] {
  const parsed = parseText(text);
  if (!parsed.ok) throw new HeraldError('HERALD_VALIDATION_FAILED', parsed.reason, { field: 'text' });
  return parsed.parts;
}

/** Runs `check`, naming its errors' fields under `field` (`text` -> `message.text`). */
function withField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!field || !(error instanceof HeraldError)) throw error;
    const under = (f: string | undefined) => (f === undefined ? field : `${field}.${f}`);
    throw new HeraldError(error.code, `${field}.${error.message}`, {
      field: under(error.field),
      ...(error.details ? { details: error.details.map((d) => ({ ...d, field: under(d.field) })) } : {}),
    });
  }
}

function given(values: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  return values && Object.hasOwn(values, name) ? values[name] : undefined;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function prefix(field: string): string {
  return field ? `${field}: ` : '';
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
