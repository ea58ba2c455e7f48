import { z } from 'zod';
import { type MetaErrorReply, metaError } from './meta-error.js';

const link = z.url({ protocol: /^https?$/ });

function mediaObject(options: { caption: boolean; filename: boolean }) {
  return z
    .strictObject({
      id: z.string().min(1).optional(),
      link: link.optional(),
      ...(options.caption ? { caption: z.string().max(1024).optional() } : {}),
      ...(options.filename ? { filename: z.string().min(1).max(240).optional() } : {}),
    })
    .refine((m) => (m.id === undefined) !== (m.link === undefined), {
      message: 'exactly one of id or link is required',
    });
}

const textSchema = z.strictObject({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() });
const locationSchema = z.strictObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().max(1000).optional(),
  address: z.string().max(1000).optional(),
});
const reactionSchema = z.strictObject({ message_id: z.string().min(1), emoji: z.string().max(16) });

const interactiveHeader = z.strictObject({ type: z.literal('text'), text: z.string().min(1).max(60) });
const interactiveBody = z.strictObject({ text: z.string().min(1).max(1024) });
const interactiveFooter = z.strictObject({ text: z.string().min(1).max(60) });

const interactiveButtons = z.strictObject({
  type: z.literal('button'),
  header: interactiveHeader.optional(),
  body: interactiveBody,
  footer: interactiveFooter.optional(),
  action: z.strictObject({
    buttons: z
      .array(
        z.strictObject({
          type: z.literal('reply'),
          reply: z.strictObject({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }),
        }),
      )
      .min(1)
      .max(3)
      .refine((b) => new Set(b.map((x) => x.reply.id)).size === b.length, {
        message: 'button ids must be unique',
      })
      .refine((b) => new Set(b.map((x) => x.reply.title)).size === b.length, {
        message: 'button titles must be unique',
      }),
  }),
});

const interactiveList = z.strictObject({
  type: z.literal('list'),
  header: interactiveHeader.optional(),
  body: z.strictObject({ text: z.string().min(1).max(4096) }),
  footer: interactiveFooter.optional(),
  action: z.strictObject({
    button: z.string().min(1).max(20),
    sections: z
      .array(
        z.strictObject({
          title: z.string().min(1).max(24).optional(),
          rows: z
            .array(
              z.strictObject({
                id: z.string().min(1).max(200),
                title: z.string().min(1).max(24),
                description: z.string().max(72).optional(),
              }),
            )
            .min(1),
        }),
      )
      .min(1)
      .max(10)
      .refine((s) => s.reduce((n, section) => n + section.rows.length, 0) <= 10, {
        message: 'at most 10 rows in all sections together',
      }),
  }),
});

const templateMedia = z
  .strictObject({ id: z.string().min(1).optional(), link: link.optional(), filename: z.string().optional() })
  .refine((m) => (m.id === undefined) !== (m.link === undefined), {
    message: 'exactly one of id or link is required',
  });

const templateParameter = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('text'),
    text: z.string().min(1),
    parameter_name: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('currency'),
    currency: z.strictObject({
      fallback_value: z.string().min(1),
      code: z.string().length(3),
      amount_1000: z.int(),
    }),
    parameter_name: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('date_time'),
    date_time: z.strictObject({ fallback_value: z.string().min(1) }),
    parameter_name: z.string().min(1).optional(),
  }),
  z.strictObject({ type: z.literal('image'), image: templateMedia }),
  z.strictObject({ type: z.literal('video'), video: templateMedia }),
  z.strictObject({ type: z.literal('document'), document: templateMedia }),
  z.strictObject({ type: z.literal('location'), location: locationSchema }),
  z.strictObject({ type: z.literal('payload'), payload: z.string().min(1).max(1000) }),
  z.strictObject({ type: z.literal('coupon_code'), coupon_code: z.string().min(1).max(15) }),
]);

const templateComponent = z.strictObject({
  type: z.enum(['header', 'body', 'button']),
  sub_type: z.enum(['quick_reply', 'url', 'copy_code']).optional(),
  index: z.union([z.int().min(0), z.string().regex(/^\d+$/)]).optional(),
  parameters: z.array(templateParameter),
});

const templateSchema = z.strictObject({
  name: z.string().min(1).max(512),
  language: z.strictObject({
    code: z.string().min(2).max(15),
    policy: z.literal('deterministic').optional(),
  }),
  components: z.array(templateComponent).optional(),
});

const MESSAGE_TYPES = [
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'reaction',
  'interactive',
  'template',
] as const;

const messageSchema = z
  .strictObject({
    messaging_product: z.literal('whatsapp'),
    recipient_type: z.literal('individual').optional(),
    to: z.string().regex(/^\+?[1-9]\d{4,14}$/, 'not a valid WhatsApp phone number'),
    type: z.enum(MESSAGE_TYPES).default('text'),
    context: z.strictObject({ message_id: z.string().min(1) }).optional(),
    biz_opaque_callback_data: z.string().max(512).optional(),
    text: textSchema.optional(),
    image: mediaObject({ caption: true, filename: false }).optional(),
    audio: mediaObject({ caption: false, filename: false }).optional(),
    video: mediaObject({ caption: true, filename: false }).optional(),
    document: mediaObject({ caption: true, filename: true }).optional(),
    sticker: mediaObject({ caption: false, filename: false }).optional(),
    location: locationSchema.optional(),
    reaction: reactionSchema.optional(),
    interactive: z.discriminatedUnion('type', [interactiveButtons, interactiveList]).optional(),
    template: templateSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m[m.type] === undefined)
      ctx.addIssue({ code: 'custom', path: [m.type], message: 'required', params: { missing: true } });
  });

const markReadSchema = z.strictObject({
  messaging_product: z.literal('whatsapp'),
  status: z.literal('read'),
  message_id: z.string().min(1),
  typing_indicator: z.strictObject({ type: z.literal('text') }).optional(),
});

export type MetaMessage = z.output<typeof messageSchema>;
export type MetaTemplatePayload = z.output<typeof templateSchema>;
export type MetaMarkRead = z.output<typeof markReadSchema>;

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: MetaErrorReply };

/**
 * Checks a `/messages` body the way Graph does: a missing required field is 131008, a wrong value 131009, a field
 * Graph does not know 100.
 *
 * @example
 * const parsed = parseMetaMessage(JSON.parse(raw)); // { ok: false, error: { code: 131008, ... } } without `to`
 */
export function parseMetaMessage(input: unknown): Parsed<MetaMessage> {
  return parseWith(messageSchema, input);
}

/** The mark-as-read (and typing indicator) body. */
export function parseMetaMarkRead(input: unknown): Parsed<MetaMarkRead> {
  return parseWith(markReadSchema, input);
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, error: metaError(100, 'the request body must be a JSON object') };
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  if (!issue) return { ok: false, error: metaError(131009, 'invalid request') };
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [path, issue.keys[0]].filter(Boolean).join('.');
    return { ok: false, error: metaError(100, `Param ${key} is not a valid parameter`) };
  }
  const missing =
    (issue.code === 'custom' && (issue.params as { missing?: boolean } | undefined)?.missing === true) ||
    (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined);
  if (missing) return { ok: false, error: metaError(131008, `The parameter ${path} is required.`) };
  return { ok: false, error: metaError(131009, `${path || 'body'}: ${issue.message}`) };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
