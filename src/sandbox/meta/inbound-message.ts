import { createHash } from 'node:crypto';
import { z } from 'zod';

const INBOUND_TYPES = [
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'button',
  'button_reply',
  'list_reply',
  'reaction',
  'contacts',
  'order',
  'unsupported',
] as const;

const REQUIRED: Readonly<Record<(typeof INBOUND_TYPES)[number], readonly string[]>> = {
  text: ['text'],
  image: [],
  audio: [],
  video: [],
  document: [],
  sticker: [],
  location: ['latitude', 'longitude'],
  button: ['text'],
  button_reply: ['replyId', 'text'],
  list_reply: ['replyId', 'text'],
  reaction: ['contextMessageId'],
  contacts: [],
  order: [],
  unsupported: [],
};

/** What a simulated user sends: the control API's body for `.../_control/inbound`. */
export const inboundSpecSchema = z
  .strictObject({
    phoneNumberId: z
      .string()
      .min(1)
      .describe("The business number the user writes to (Meta's phone-number id)."),
    from: z.string().regex(/^\+?[1-9]\d{4,14}$/, 'an E.164 phone number'),
    profileName: z.string().min(1).max(100).optional(),
    type: z.enum(INBOUND_TYPES).default('text'),
    /** text: the body; button: the button text; button_reply/list_reply: the row or button title. */
    text: z.string().min(1).max(4096).optional(),
    /** button: the quick-reply payload (defaults to the text). */
    payload: z.string().min(1).optional(),
    /** button_reply/list_reply: the id of the chosen button or row. */
    replyId: z.string().min(1).optional(),
    description: z.string().optional(),
    mediaId: z.string().min(1).optional(),
    mimeType: z.string().min(1).optional(),
    caption: z.string().optional(),
    filename: z.string().optional(),
    voice: z.boolean().optional(),
    latitude: z.number().min(-90).max(90).optional(),
    longitude: z.number().min(-180).max(180).optional(),
    name: z.string().optional(),
    address: z.string().optional(),
    emoji: z.string().optional(),
    /** The message replied or reacted to (a wamid the business sent). */
    contextMessageId: z.string().min(1).optional(),
  })
  .superRefine((spec, ctx) => {
    for (const field of REQUIRED[spec.type]) {
      if (spec[field as keyof typeof spec] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `required for type ${spec.type}` });
    }
  });

export type InboundSpec = z.output<typeof inboundSpecSchema>;

const MIME_TYPES: Readonly<Record<string, string>> = {
  image: 'image/jpeg',
  audio: 'audio/ogg; codecs=opus',
  video: 'video/mp4',
  document: 'application/pdf',
  sticker: 'image/webp',
};

/**
 * Builds the `messages[]` item Meta would put in a webhook for what the user sent, with Meta's field names
 * (unix seconds as a string, wa_id without the plus, `context` on replies).
 */
export function inboundMessage(
  spec: InboundSpec,
  meta: { readonly id: string; readonly timestampSeconds: number; readonly businessNumber: string },
): Record<string, unknown> {
  const base = {
    from: spec.from.replace(/^\+/, ''),
    id: meta.id,
    timestamp: String(meta.timestampSeconds),
    ...(spec.contextMessageId !== undefined && spec.type !== 'reaction'
      ? { context: { from: meta.businessNumber, id: spec.contextMessageId } }
      : {}),
  };
  switch (spec.type) {
    case 'text':
      return { ...base, type: 'text', text: { body: spec.text } };
    case 'location':
      return {
        ...base,
        type: 'location',
        location: {
          latitude: spec.latitude,
          longitude: spec.longitude,
          ...(spec.name === undefined ? {} : { name: spec.name }),
          ...(spec.address === undefined ? {} : { address: spec.address }),
        },
      };
    case 'button':
      return { ...base, type: 'button', button: { payload: spec.payload ?? spec.text, text: spec.text } };
    case 'button_reply':
      return {
        ...base,
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: spec.replyId, title: spec.text } },
      };
    case 'list_reply':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'list_reply',
          list_reply: {
            id: spec.replyId,
            title: spec.text,
            ...(spec.description === undefined ? {} : { description: spec.description }),
          },
        },
      };
    case 'reaction':
      return {
        ...base,
        type: 'reaction',
        reaction: { message_id: spec.contextMessageId, emoji: spec.emoji ?? '' },
      };
    case 'contacts':
      return {
        ...base,
        type: 'contacts',
        contacts: [
          {
            name: { formatted_name: spec.name ?? 'Jane Doe', first_name: 'Jane' },
            phones: [{ phone: '+15550100999', type: 'CELL' }],
          },
        ],
      };
    case 'order':
      return {
        ...base,
        type: 'order',
        order: {
          catalog_id: '000000000000001',
          product_items: [{ product_retailer_id: 'SKU-1', quantity: 1, item_price: 10, currency: 'USD' }],
          ...(spec.text === undefined ? {} : { text: spec.text }),
        },
      };
    case 'unsupported':
      return {
        ...base,
        type: 'unsupported',
        errors: [
          {
            code: 131051,
            title: 'Message type unknown',
            message: 'Message type unknown',
            error_data: { details: 'Message type is currently not supported.' },
          },
        ],
      };
    default: {
      const mediaId = spec.mediaId ?? digitsFrom(meta.id);
      return {
        ...base,
        type: spec.type,
        [spec.type]: {
          id: mediaId,
          mime_type: spec.mimeType ?? MIME_TYPES[spec.type],
          sha256: createHash('sha256').update(mediaId).digest('base64'),
          ...(spec.caption === undefined || spec.type === 'audio' || spec.type === 'sticker'
            ? {}
            : { caption: spec.caption }),
          ...(spec.type === 'document' && spec.filename !== undefined ? { filename: spec.filename } : {}),
          ...(spec.type === 'audio' ? { voice: spec.voice ?? false } : {}),
          ...(spec.type === 'sticker' ? { animated: false } : {}),
        },
      };
    }
  }
}

/** What the sandbox page shows for an inbound message. */
export function inboundSummary(spec: InboundSpec): string {
  switch (spec.type) {
    case 'text':
      return spec.text ?? '';
    case 'button':
    case 'button_reply':
    case 'list_reply':
      return `[${spec.type}: ${spec.text}]`;
    case 'reaction':
      return `[reaction ${spec.emoji ?? ''}]`;
    case 'location':
      return `[location ${spec.latitude}, ${spec.longitude}]`;
    default:
      return spec.caption ? `[${spec.type}] ${spec.caption}` : `[${spec.type}]`;
  }
}

/** A media id looks like Meta's: digits. */
function digitsFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex').slice(0, 13);
  return String(Number.parseInt(hex, 16));
}
