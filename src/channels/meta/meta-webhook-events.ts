import { z } from 'zod';
import type {
  ChannelEvent,
  DeliveryStatus,
  InboundContent,
  InboundMessageEvent,
  StatusEvent,
} from '../../domain/channel-event.js';
import { metaFailure } from './meta-failure.js';

export interface MetaParseOptions {
  /** Meta's phone-number id of the channel: entries for the WABA's other numbers are skipped. */
  readonly phoneNumberId?: string;
  /** Used when an event carries no usable timestamp. */
  readonly receivedAt: number;
}

export interface MetaParseResult {
  readonly events: ChannelEvent[];
  /** Changes skipped because they belong to another phone number of the same WhatsApp Business Account. */
  readonly otherNumbers: number;
}

// Loose objects throughout: Meta adds fields over time (user_id, pricing.type...), and an unknown field must never
// turn a delivery receipt into a rejected webhook.
const errorSchema = z.looseObject({
  code: z.union([z.number(), z.string()]),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.string().optional(),
  recipient_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  errors: z.array(errorSchema).optional(),
});

const messageSchema = z.looseObject({
  from: z.string().min(1),
  id: z.string().min(1),
  timestamp: z.string().optional(),
  type: z.string(),
  context: z.looseObject({ id: z.string().optional() }).optional(),
});

const contactSchema = z.looseObject({
  wa_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});

const valueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string().optional() }).optional(),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
});

const entrySchema = z.looseObject({
  id: z.string().optional(),
  changes: z.array(z.looseObject({ field: z.string().optional(), value: z.unknown() })),
});

const bodySchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.unknown()),
});

const textSchema = z.looseObject({ body: z.string() });
const mediaSchema = z.looseObject({
  id: z.string().optional(),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
});
const locationSchema = z.looseObject({
  latitude: z.coerce.number(),
  longitude: z.coerce.number(),
  name: z.string().optional(),
  address: z.string().optional(),
});
const buttonSchema = z.looseObject({ text: z.string(), payload: z.string().optional() });
const replySchema = z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() });
const interactiveSchema = z.looseObject({
  type: z.string(),
  button_reply: replySchema.optional(),
  list_reply: replySchema.optional(),
});
const reactionSchema = z.looseObject({ message_id: z.string(), emoji: z.string().optional() });

const STATUS_MAP: Readonly<Record<string, DeliveryStatus>> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  // A voice message listened to: for the ledger that is "read".
  played: 'read',
  failed: 'failed',
};

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;

/**
 * Parses a whole Meta webhook body (`{object: "whatsapp_business_account", entry: [...]}`). Returns undefined when
 * the body is not a WhatsApp Business Account notification at all.
 */
export function metaWebhookEvents(body: unknown, options: MetaParseOptions): MetaParseResult | undefined {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const events: ChannelEvent[] = [];
  let otherNumbers = 0;
  for (const entry of parsed.data.entry) {
    const result = metaEntryEvents(entry, options);
    events.push(...result.events);
    otherNumbers += result.otherNumbers;
  }
  return { events, otherNumbers };
}

/**
 * Parses one Meta `entry` ({id, changes[]}) into events: statuses (`played` counts as read) and inbound messages.
 * Event ids follow Meta's dedupe keys: `messages[].id` for inbound, `statuses[].id:status` for statuses. Parts it
 * cannot read are skipped one by one; it never throws.
 *
 * @example
 * const { events } = metaEntryEvents(JSON.parse(envelope.whatsAppWebhookEntry), { receivedAt: now });
 */
export function metaEntryEvents(entry: unknown, options: MetaParseOptions): MetaParseResult {
  const parsed = entrySchema.safeParse(entry);
  if (!parsed.success) return { events: [], otherNumbers: 0 };
  const events: ChannelEvent[] = [];
  let otherNumbers = 0;
  for (const change of parsed.data.changes) {
    if (change.field !== undefined && change.field !== 'messages') continue;
    const value = valueSchema.safeParse(change.value);
    if (!value.success) continue;
    const phoneNumberId = value.data.metadata?.phone_number_id;
    if (options.phoneNumberId !== undefined && phoneNumberId !== options.phoneNumberId) {
      otherNumbers += 1;
      continue;
    }
    const names = profileNames(value.data.contacts ?? []);
    for (const raw of value.data.statuses ?? []) {
      const status = statusEvent(raw, options.receivedAt);
      if (status) events.push(status);
    }
    for (const raw of value.data.messages ?? []) {
      const message = inboundEvent(raw, names, options.receivedAt);
      if (message) events.push(message);
    }
  }
  return { events, otherNumbers };
}

function statusEvent(raw: unknown, receivedAt: number): StatusEvent | undefined {
  const parsed = statusSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const s = parsed.data;
  // Other values (`deleted`, `warning`) say nothing about delivery.
  const status = STATUS_MAP[s.status];
  if (!status) return undefined;
  const error = s.errors?.[0];
  return {
    type: 'status',
    eventId: `${s.id}:${s.status}`,
    occurredAt: seconds(s.timestamp, receivedAt),
    providerMessageId: s.id,
    status,
    ...(status === 'failed' || error
      ? {
          error: error
            ? { code: String(error.code), message: errorText(error) }
            : { code: 'unknown', message: 'failed without an error object' },
        }
      : {}),
    ...(s.biz_opaque_callback_data === undefined ? {} : { callbackData: s.biz_opaque_callback_data }),
    ...(status === 'failed' &&
    metaFailure({ code: Number(error?.code), message: '' }, 400).class === 'window_closed'
      ? { windowClosed: true }
      : {}),
  };
}

function inboundEvent(
  raw: unknown,
  names: ReadonlyMap<string, string>,
  receivedAt: number,
): InboundMessageEvent | undefined {
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const m = parsed.data;
  const name = names.get(m.from);
  return {
    type: 'message',
    eventId: m.id,
    occurredAt: seconds(m.timestamp, receivedAt),
    from: toE164(m.from),
    providerMessageId: m.id,
    content: inboundContent(m.type, m),
    ...(name === undefined ? {} : { profileName: name }),
    ...(m.context?.id === undefined ? {} : { contextMessageId: m.context.id }),
  };
}

function inboundContent(type: string, m: Readonly<Record<string, unknown>>): InboundContent {
  const unsupported: InboundContent = { kind: 'unsupported', providerType: type };
  switch (type) {
    case 'text': {
      const text = textSchema.safeParse(m.text);
      return text.success ? { kind: 'text', text: text.data.body } : unsupported;
    }
    case 'location': {
      const location = locationSchema.safeParse(m.location);
      if (!location.success) return unsupported;
      const l = location.data;
      return {
        kind: 'location',
        latitude: l.latitude,
        longitude: l.longitude,
        ...(l.name === undefined ? {} : { name: l.name }),
        ...(l.address === undefined ? {} : { address: l.address }),
      };
    }
    case 'button': {
      const button = buttonSchema.safeParse(m.button);
      return button.success
        ? { kind: 'button', text: button.data.text, payload: button.data.payload ?? button.data.text }
        : unsupported;
    }
    case 'interactive': {
      const interactive = interactiveSchema.safeParse(m.interactive);
      if (!interactive.success) return unsupported;
      const i = interactive.data;
      const reply =
        i.type === 'button_reply' ? i.button_reply : i.type === 'list_reply' ? i.list_reply : undefined;
      if (!reply || (i.type !== 'button_reply' && i.type !== 'list_reply')) {
        // Flows (nfm_reply) and other interactive replies Herald does not model.
        return { kind: 'unsupported', providerType: `interactive.${i.type}` };
      }
      return {
        kind: 'interactive',
        replyType: i.type,
        id: reply.id,
        title: reply.title,
        ...(reply.description === undefined ? {} : { description: reply.description }),
      };
    }
    case 'reaction': {
      const reaction = reactionSchema.safeParse(m.reaction);
      // No emoji (or an empty one) means the user removed their reaction.
      return reaction.success
        ? { kind: 'reaction', messageId: reaction.data.message_id, emoji: reaction.data.emoji ?? '' }
        : unsupported;
    }
    default: {
      const mediaType = MEDIA_TYPES.find((t) => t === type);
      if (!mediaType) return unsupported;
      const media = mediaSchema.safeParse(m[mediaType]);
      if (!media.success) return unsupported;
      return {
        kind: 'media',
        mediaType,
        ...(media.data.id === undefined ? {} : { mediaId: media.data.id }),
        ...(media.data.mime_type === undefined ? {} : { mimeType: media.data.mime_type }),
        ...(media.data.caption === undefined ? {} : { caption: media.data.caption }),
      };
    }
  }
}

function profileNames(contacts: readonly unknown[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const raw of contacts) {
    const contact = contactSchema.safeParse(raw);
    const name = contact.success ? contact.data.profile?.name : undefined;
    if (contact.success && contact.data.wa_id && name) names.set(contact.data.wa_id, name);
  }
  return names;
}

function errorText(error: z.infer<typeof errorSchema>): string {
  const head = error.message ?? error.title ?? `error ${error.code}`;
  const details = error.error_data?.details;
  return details && details !== head ? `${head}: ${details}` : head;
}

/** Meta stamps events in unix seconds, as strings. */
function seconds(timestamp: string | undefined, fallback: number): number {
  const value = timestamp === undefined ? Number.NaN : Number(timestamp);
  return Number.isFinite(value) && value > 0 ? value * 1000 : fallback;
}

/** WhatsApp ids are E.164 digits without the plus; Herald addresses carry it. */
function toE164(waId: string): string {
  return /^\d+$/.test(waId) ? `+${waId}` : waId;
}
