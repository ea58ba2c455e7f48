import type {
  InteractiveContent,
  MediaContent,
  MessageContent,
  TemplateButtonParameter,
  TemplateContent,
  TemplateParameter,
} from '../../domain/message-content.js';

/** The JSON body of Meta's `POST /{phone-number-id}/messages` (also what AWS End User Messaging Social forwards). */
export type MetaMessageBody = Readonly<Record<string, unknown>>;

export type MetaBodyResult =
  | { readonly ok: true; readonly body: MetaMessageBody }
  | { readonly ok: false; readonly reason: string };

/** Thrown inside the builders, caught once in `metaMessageBody`: keeps each builder a plain expression. */
class CannotCarry extends Error {}

/**
 * Maps Herald's content to Meta's `/messages` body. `callbackData` (Herald's message id) goes out as
 * `biz_opaque_callback_data`, which Meta echoes on every status webhook of the message. Content WhatsApp cannot
 * carry (a LINE sticker, a Pinpoint custom payload, media with both or neither of url and id) is refused with a
 * reason instead of being sent half-built.
 *
 * @example
 * const result = metaMessageBody('+16505551234', { kind: 'text', text: 'Hi' }, 'msg_01J...');
 * if (result.ok) await post(JSON.stringify(result.body));
 */
export function metaMessageBody(to: string, content: MessageContent, callbackData?: string): MetaBodyResult {
  const envelope = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    ...(callbackData === undefined ? {} : { biz_opaque_callback_data: callbackData }),
  };
  try {
    return { ok: true, body: { ...envelope, ...payload(content) } };
  } catch (error) {
    if (error instanceof CannotCarry) return { ok: false, reason: error.message };
    throw error;
  }
}

function payload(content: MessageContent): Record<string, unknown> {
  switch (content.kind) {
    case 'text':
      return {
        type: 'text',
        text: {
          body: content.text,
          ...(content.previewUrl === undefined ? {} : { preview_url: content.previewUrl }),
        },
      };
    case 'template':
      return { type: 'template', template: template(content) };
    case 'media':
      return { type: content.mediaType, [content.mediaType]: media(content) };
    case 'interactive':
      return { type: 'interactive', interactive: interactive(content.interactive) };
    case 'location':
      return {
        type: 'location',
        location: {
          latitude: content.latitude,
          longitude: content.longitude,
          ...optional('name', content.name),
          ...optional('address', content.address),
        },
      };
    case 'reaction':
      return { type: 'reaction', reaction: { message_id: content.messageId, emoji: content.emoji } };
    case 'sticker':
      throw new CannotCarry('WhatsApp cannot carry a LINE sticker (packageId/stickerId)');
    case 'custom':
      throw new CannotCarry('WhatsApp cannot carry a Pinpoint custom-channel payload');
  }
}

function media(content: MediaContent): Record<string, unknown> {
  if (content.mediaType === 'audio' && content.caption !== undefined)
    throw new CannotCarry('WhatsApp audio carries no caption');
  return {
    ...mediaSource(content.url, content.mediaId),
    ...(content.mediaType === 'audio' ? {} : optional('caption', content.caption)),
    ...(content.mediaType === 'document' ? optional('filename', content.filename) : {}),
  };
}

function mediaSource(url: string | undefined, id: string | undefined): Record<string, string> {
  if ((url === undefined) === (id === undefined))
    throw new CannotCarry('media needs exactly one of url (a public HTTPS link) or mediaId');
  return url === undefined ? { id: id as string } : { link: url };
}

function template(content: TemplateContent): Record<string, unknown> {
  const components: Record<string, unknown>[] = [];
  if (content.header) components.push({ type: 'header', parameters: [parameter(content.header)] });
  if (content.body && content.body.length > 0) {
    const named = content.body.filter((p) => 'name' in p && p.name !== undefined).length;
    if (named !== 0 && named !== content.body.length)
      throw new CannotCarry('template body parameters must be all positional or all named');
    components.push({ type: 'body', parameters: content.body.map(parameter) });
  }
  for (const button of content.buttons ?? []) components.push(buttonComponent(button));
  return {
    name: content.name,
    language: { code: content.language },
    ...(components.length > 0 ? { components } : {}),
  };
}

function parameter(p: TemplateParameter): Record<string, unknown> {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text, ...optional('parameter_name', p.name) };
    case 'currency':
      return {
        type: 'currency',
        currency: { fallback_value: p.fallbackValue, code: p.code, amount_1000: p.amount1000 },
        ...optional('parameter_name', p.name),
      };
    case 'date_time':
      return {
        type: 'date_time',
        date_time: { fallback_value: p.fallbackValue },
        ...optional('parameter_name', p.name),
      };
    case 'image':
    case 'video':
    case 'document':
      return {
        type: p.type,
        [p.type]: {
          ...mediaSource(p.url, p.id),
          ...(p.type === 'document' ? optional('filename', p.filename) : {}),
        },
      };
    case 'location':
      return {
        type: 'location',
        location: {
          latitude: p.latitude,
          longitude: p.longitude,
          ...optional('name', p.name),
          ...optional('address', p.address),
        },
      };
  }
}

function buttonComponent(button: TemplateButtonParameter): Record<string, unknown> {
  const parameters =
    button.subType === 'quick_reply'
      ? [{ type: 'payload', payload: button.value }]
      : button.subType === 'url'
        ? [{ type: 'text', text: button.value }]
        : [{ type: 'coupon_code', coupon_code: button.value }];
  // Meta's docs write the index as a string; both forms are accepted.
  return { type: 'button', sub_type: button.subType, index: String(button.index), parameters };
}

function interactive(content: InteractiveContent['interactive']): Record<string, unknown> {
  const common = {
    ...(content.header === undefined ? {} : { header: { type: 'text', text: content.header } }),
    body: { text: content.body },
    ...(content.footer === undefined ? {} : { footer: { text: content.footer } }),
  };
  if (content.type === 'button') {
    return {
      type: 'button',
      ...common,
      action: {
        buttons: content.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })),
      },
    };
  }
  return {
    type: 'list',
    ...common,
    action: {
      button: content.button,
      sections: content.sections.map((section) => ({
        ...optional('title', section.title),
        rows: section.rows.map((row) => ({
          id: row.id,
          title: row.title,
          ...optional('description', row.description),
        })),
      })),
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
