import { z } from 'zod';
import { templateVariables } from '../../app/templates/template-variables.js';
import { CHANNEL_TYPES } from '../../domain/channel-type.js';
import {
  type Template,
  type TemplateDefinition,
  type VariableMapping,
  WHATSAPP_CATEGORIES,
} from '../../domain/template.js';
import { toIso } from './common.js';

const httpsUrl = z.url({ protocol: /^https?$/ }).max(2000);
/** A URL that may hold `{{...}}` placeholders (filled per endpoint). */
const templatedUrl = z.string().min(1).max(2000).describe('An https URL; may hold {{...}} placeholders.');

const header = z
  .discriminatedUnion('format', [
    z.strictObject({ format: z.literal('TEXT'), text: z.string().min(1).max(60) }),
    z.strictObject({ format: z.enum(['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION']) }),
  ])
  .describe(
    'TEXT (with at most one parameter), or a media/location header whose value is given per message.',
  );

const button = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('QUICK_REPLY'), text: z.string().min(1).max(25) }),
  z.strictObject({
    type: z.literal('URL'),
    text: z.string().min(1).max(25),
    url: z.string().min(1).max(2000).describe('May end in {{1}}: a suffix given per message.'),
  }),
  z.strictObject({ type: z.literal('COPY_CODE'), example: z.string().min(1).max(15).optional() }),
  z.strictObject({
    type: z.literal('PHONE_NUMBER'),
    text: z.string().min(1).max(25),
    phoneNumber: z.string().min(1).max(20),
  }),
]);

const whatsAppLanguage = z.strictObject({
  language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'a language code such as en_US or es'),
  status: z.string().max(32).optional().describe('The provider’s review status (set by sync).'),
  header: header.optional(),
  body: z.strictObject({ text: z.string().min(1).max(1024) }),
  footer: z.strictObject({ text: z.string().min(1).max(60) }).optional(),
  buttons: z.array(button).min(1).max(10).optional(),
});

const whatsAppFields = {
  category: z.enum(WHATSAPP_CATEGORIES).default('UTILITY'),
  parameterFormat: z
    .enum(['POSITIONAL', 'NAMED'])
    .default('POSITIONAL')
    .describe('POSITIONAL: {{1}}, {{2}}...; NAMED: {{first_name}}.'),
  languages: z.array(whatsAppLanguage).min(1).max(60).describe('One entry per approved translation.'),
};

const media = z.strictObject({
  type: z.enum(['image', 'audio', 'video', 'document']),
  url: templatedUrl,
  caption: z.string().min(1).max(1024).optional(),
  filename: z.string().max(240).optional(),
  durationMs: z.number().int().positive().optional().describe('Audio length; LINE requires it.'),
  previewUrl: templatedUrl.optional().describe('Preview image; LINE requires it for video and image.'),
});

const messageFields = {
  text: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('With {{...}} placeholders naming endpoint fields, e.g. {{User.UserAttributes.FirstName}}.'),
  media: media.optional().describe('Give text, or media with its caption.'),
  defaults: z
    .record(z.string().min(1).max(200), z.string().max(1000))
    .default({})
    .describe('A value per placeholder for endpoints that have none.'),
};

const whatsAppName = z
  .string()
  .regex(/^[a-z0-9_]{1,512}$/, 'a WhatsApp template name: lower-case letters, digits and _');
const messageName = z.string().min(1).max(128);

export const createTemplateBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('whatsapp'), name: whatsAppName, ...whatsAppFields }),
  z.strictObject({ kind: z.literal('message'), name: messageName, ...messageFields }),
]);

export const updateTemplateBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('whatsapp'), name: whatsAppName.optional(), ...whatsAppFields }),
  z.strictObject({ kind: z.literal('message'), name: messageName.optional(), ...messageFields }),
]);

type TemplateBody = z.output<typeof createTemplateBody> | z.output<typeof updateTemplateBody>;

export function toTemplateDefinition(body: TemplateBody): TemplateDefinition {
  if (body.kind === 'whatsapp') {
    return {
      kind: 'whatsapp',
      category: body.category,
      parameterFormat: body.parameterFormat,
      languages: body.languages.map((l) => ({
        language: l.language,
        ...(l.status === undefined ? {} : { status: l.status }),
        ...(l.header ? { header: l.header } : {}),
        body: l.body,
        ...(l.footer ? { footer: l.footer } : {}),
        ...(l.buttons
          ? {
              buttons: l.buttons.map((b) =>
                b.type === 'COPY_CODE'
                  ? { type: 'COPY_CODE' as const, ...(b.example === undefined ? {} : { example: b.example }) }
                  : b,
              ),
            }
          : {}),
      })),
    };
  }
  return {
    kind: 'message',
    ...(body.text === undefined ? {} : { text: body.text }),
    ...(body.media
      ? {
          media: {
            mediaType: body.media.type,
            url: body.media.url,
            ...(body.media.caption === undefined ? {} : { caption: body.media.caption }),
            ...(body.media.filename === undefined ? {} : { filename: body.media.filename }),
            ...(body.media.durationMs === undefined ? {} : { durationMs: body.media.durationMs }),
            ...(body.media.previewUrl === undefined ? {} : { previewUrl: body.media.previewUrl }),
          },
        }
      : {}),
    defaults: body.defaults,
  };
}

const variableJson = z.object({
  name: z.string(),
  component: z.enum(['header', 'body', 'button', 'text', 'media']),
  type: z.string(),
  required: z.boolean(),
  languages: z.array(z.string()).optional(),
  default: z.string().optional(),
});

export const templateJson = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int(),
    kind: z.enum(['whatsapp', 'message']),
    category: z.string().optional(),
    parameterFormat: z.enum(['POSITIONAL', 'NAMED']).optional(),
    languages: z.array(z.unknown()).optional(),
    syncedFrom: z.object({ channelId: z.string(), at: z.string() }).optional(),
    text: z.string().optional(),
    media: z.unknown().optional(),
    defaults: z.record(z.string(), z.string()).optional(),
    variables: z.array(variableJson).describe('What each message needs: build a form from it.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Template' });

export function toTemplateJson(template: Template): z.input<typeof templateJson> {
  const d = template.definition;
  const common = {
    id: template.id,
    name: template.name,
    version: template.version,
    variables: templateVariables(d).map(({ languages, ...v }) => ({
      ...v,
      ...(languages ? { languages: [...languages] } : {}),
    })),
    createdAt: toIso(template.createdAt),
    updatedAt: toIso(template.updatedAt),
  };
  if (d.kind === 'whatsapp') {
    return {
      ...common,
      kind: 'whatsapp',
      category: d.category,
      parameterFormat: d.parameterFormat,
      languages: [...d.languages],
      ...(d.syncedFrom
        ? { syncedFrom: { channelId: d.syncedFrom.channelId, at: toIso(d.syncedFrom.at) } }
        : {}),
    };
  }
  return {
    ...common,
    kind: 'message',
    ...(d.text === undefined ? {} : { text: d.text }),
    ...(d.media
      ? {
          media: {
            type: d.media.mediaType,
            url: d.media.url,
            ...(d.media.caption === undefined ? {} : { caption: d.media.caption }),
            ...(d.media.filename === undefined ? {} : { filename: d.media.filename }),
            ...(d.media.durationMs === undefined ? {} : { durationMs: d.media.durationMs }),
            ...(d.media.previewUrl === undefined ? {} : { previewUrl: d.media.previewUrl }),
          },
        }
      : {}),
    defaults: { ...d.defaults },
  };
}

export const variableMapping = z
  .union([
    z.strictObject({
      field: z.string().min(1).max(200).describe('An endpoint field, e.g. User.UserAttributes.FirstName.'),
      default: z.string().max(1000).optional().describe('Used when the endpoint has no value.'),
    }),
    z.strictObject({ value: z.string().max(1000).describe('The same value for every endpoint.') }),
  ])
  .meta({ id: 'VariableMapping' });

export const previewBody = z.strictObject({
  endpointId: z.string().min(1).max(256).optional().describe('Fill the variables from this endpoint.'),
  variables: z
    .record(z.string().min(1).max(200), z.string().max(1000))
    .optional()
    .describe('Values by variable name (win over the endpoint’s).'),
  mapping: z
    .record(z.string().min(1).max(200), variableMapping)
    .optional()
    .describe('WhatsApp: variable -> endpoint field or value, as a campaign maps them.'),
  language: z.string().min(2).max(15).optional(),
  version: z.number().int().positive().optional(),
  channelId: z.string().min(1).max(64).optional(),
  channelType: z.enum(CHANNEL_TYPES).optional().describe('Text templates: SMS, LINE or WHATSAPP.'),
  to: z.string().min(1).max(256).optional().describe('Recipient shown in the payload.'),
});

export const previewJson = z
  .object({
    channelId: z.string(),
    provider: z.string(),
    operation: z.string().describe('The provider call, e.g. `POST /v23.0/1065.../messages`.'),
    payload: z.unknown().describe('Its body exactly as the provider receives it.'),
    content: z.unknown().describe('Herald’s provider-neutral content.'),
  })
  .meta({ id: 'TemplatePreview' });

/** Mappings as the domain takes them (no `default: undefined`). */
export function toMappings(
  mappings: Readonly<Record<string, z.output<typeof variableMapping>>>,
): Record<string, VariableMapping> {
  return Object.fromEntries(
    Object.entries(mappings).map(([name, m]) => [
      name,
      'value' in m
        ? { value: m.value }
        : { field: m.field, ...(m.default === undefined ? {} : { default: m.default }) },
    ]),
  );
}

export { httpsUrl };
