import { z } from 'zod';
import type { MessageContent, TemplateParameter } from '../../domain/message-content.js';

const httpsUrl = z.url({ protocol: /^https?$/ }).max(2000);

const textParam = z.strictObject({
  type: z.literal('text'),
  text: z.string().min(1).max(1024),
  name: z
    .string()
    .regex(/^[a-z0-9_]{1,60}$/, 'lower-case letters, digits and _')
    .optional()
    .describe('For named parameters (`{{first_name}}`).'),
});
const currencyParam = z.strictObject({
  type: z.literal('currency'),
  fallbackValue: z.string().min(1),
  code: z.string().length(3),
  amount1000: z.number().int(),
  name: z.string().optional(),
});
const dateTimeParam = z.strictObject({
  type: z.literal('date_time'),
  fallbackValue: z.string().min(1),
  name: z.string().optional(),
});
const mediaParam = z
  .strictObject({
    type: z.enum(['image', 'video', 'document']),
    url: httpsUrl.optional(),
    id: z.string().min(1).optional(),
    filename: z.string().max(240).optional(),
  })
  .refine((p) => (p.url === undefined) !== (p.id === undefined), {
    message: 'give exactly one of url and id',
  });
const locationParam = z.strictObject({
  type: z.literal('location'),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().optional(),
  address: z.string().optional(),
});

export const templateParameterSchema = z.union([
  textParam,
  currencyParam,
  dateTimeParam,
  mediaParam,
  locationParam,
]);

export const templateSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9_]{1,512}$/, 'a WhatsApp template name: lower-case letters, digits and _'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'a language code such as en_US or es'),
    header: templateParameterSchema.optional(),
    body: z
      .array(templateParameterSchema)
      .max(60)
      .optional()
      .describe('Positional ({{1}}, {{2}}...) in order, or named with `name`.'),
    buttons: z
      .array(
        z.strictObject({
          index: z.number().int().min(0).max(9),
          subType: z.enum(['quick_reply', 'url', 'copy_code']),
          value: z
            .string()
            .min(1)
            .max(2000)
            .describe('quick_reply: payload; url: the dynamic URL suffix; copy_code: the code.'),
        }),
      )
      .max(10)
      .optional(),
  })
  .meta({
    id: 'TemplateMessage',
    description: 'A WhatsApp template: name and language of an approved template, and its parameters.',
  });

export const mediaSchema = z
  .strictObject({
    type: z.enum(['image', 'audio', 'video', 'document']),
    url: httpsUrl.optional(),
    id: z.string().min(1).optional().describe('Media already uploaded to the provider.'),
    caption: z.string().max(1024).optional(),
    filename: z.string().max(240).optional(),
    durationMs: z.number().int().positive().optional().describe('Audio length; LINE requires it.'),
    previewUrl: httpsUrl.optional().describe('Preview image; LINE requires it for video and image.'),
  })
  .refine((m) => (m.url === undefined) !== (m.id === undefined), {
    message: 'give exactly one of url and id',
  })
  .meta({ id: 'MediaMessage' });

export const interactiveSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('button'),
      header: z.string().max(60).optional(),
      body: z.string().min(1).max(1024),
      footer: z.string().max(60).optional(),
      buttons: z
        .array(z.strictObject({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }))
        .min(1)
        .max(3),
    }),
    z.strictObject({
      type: z.literal('list'),
      header: z.string().max(60).optional(),
      body: z.string().min(1).max(4096),
      footer: z.string().max(60).optional(),
      button: z.string().min(1).max(20),
      sections: z
        .array(
          z.strictObject({
            title: z.string().max(24).optional(),
            rows: z
              .array(
                z.strictObject({
                  id: z.string().min(1).max(200),
                  title: z.string().min(1).max(24),
                  description: z.string().max(72).optional(),
                }),
              )
              .min(1)
              .max(10),
          }),
        )
        .min(1)
        .max(10),
    }),
  ])
  .meta({ id: 'InteractiveMessage', description: 'WhatsApp reply buttons (1-3) or a list (up to 10 rows).' });

export const locationSchema = z.strictObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().max(1000).optional(),
  address: z.string().max(1000).optional(),
});

export const stickerSchema = z.strictObject({ packageId: z.string().min(1), stickerId: z.string().min(1) });
export const reactionSchema = z.strictObject({ messageId: z.string().min(1), emoji: z.string().max(16) });

/** The content members of a send request; exactly one is given. */
export const contentFields = {
  text: z
    .union([
      z.string().min(1).max(4096),
      z.strictObject({ body: z.string().min(1).max(4096), previewUrl: z.boolean().optional() }),
    ])
    .optional()
    .describe('Plain text (a string), or `{body, previewUrl}`.'),
  template: templateSchema.optional(),
  media: mediaSchema.optional(),
  interactive: interactiveSchema.optional(),
  location: locationSchema.optional(),
  sticker: stickerSchema.optional().describe('LINE stickers.'),
  reaction: reactionSchema.optional().describe('WhatsApp: react to a message by its provider id.'),
};

type ContentFields = { [K in keyof typeof contentFields]?: z.infer<(typeof contentFields)[K]> };

export const CONTENT_KEYS = Object.keys(contentFields) as (keyof typeof contentFields)[];

/** Which content member a body carries, or an error message when it carries none or several. */
export function pickContent(body: ContentFields): MessageContent | string {
  const given = CONTENT_KEYS.filter((k) => body[k] !== undefined);
  if (given.length !== 1)
    return `give exactly one of ${CONTENT_KEYS.join(', ')}${given.length > 1 ? ` (got ${given.join(', ')})` : ''}`;
  if (body.text !== undefined) {
    return typeof body.text === 'string'
      ? { kind: 'text', text: body.text }
      : {
          kind: 'text',
          text: body.text.body,
          ...(body.text.previewUrl !== undefined ? { previewUrl: body.text.previewUrl } : {}),
        };
  }
  if (body.template) {
    const t = body.template;
    return {
      kind: 'template',
      name: t.name,
      language: t.language,
      ...(t.header ? { header: t.header as TemplateParameter } : {}),
      ...(t.body ? { body: t.body as TemplateParameter[] } : {}),
      ...(t.buttons ? { buttons: t.buttons } : {}),
    };
  }
  if (body.media) {
    const { type, ...rest } = body.media;
    return { kind: 'media', mediaType: type, ...withoutUndefined(rest, { id: 'mediaId' }) };
  }
  if (body.interactive)
    return { kind: 'interactive', interactive: withoutUndefined(body.interactive) as never };
  if (body.location) return { kind: 'location', ...withoutUndefined(body.location) } as MessageContent;
  if (body.sticker) return { kind: 'sticker', ...body.sticker };
  return { kind: 'reaction', ...body.reaction! };
}

function withoutUndefined<T extends object>(
  value: T,
  rename: Record<string, string> = {},
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [rename[k] ?? k, v]),
  );
}
