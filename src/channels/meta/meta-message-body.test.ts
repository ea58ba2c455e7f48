import { describe, expect, it } from 'vitest';
import type { MessageContent } from '../../domain/message-content.js';
import { parseMetaMessage } from '../../sandbox/meta/meta-message-schema.js';
import { metaMessageBody } from './meta-message-body.js';

const TO = '+16505551234';
const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', to: TO };

function body(content: MessageContent, callbackData?: string): Record<string, unknown> {
  const result = metaMessageBody(TO, content, callbackData);
  if (!result.ok) throw new Error(result.reason);
  // Every body must also pass the sandbox's independent rendering of Graph's validation.
  const accepted = parseMetaMessage(result.body);
  expect(accepted.ok ? 'accepted' : accepted.error.body.error.error_data.details).toBe('accepted');
  return result.body as Record<string, unknown>;
}

describe('Meta /messages body', () => {
  it('maps text with preview_url and carries Herald’s id as biz_opaque_callback_data', () => {
    expect(body({ kind: 'text', text: 'See https://example.com', previewUrl: true }, 'msg_1')).toEqual({
      ...envelope,
      biz_opaque_callback_data: 'msg_1',
      type: 'text',
      text: { body: 'See https://example.com', preview_url: true },
    });
  });

  it('maps a positional template with header media, currency, date and URL and quick-reply buttons', () => {
    expect(
      body({
        kind: 'template',
        name: 'order_update',
        language: 'en_US',
        header: { type: 'image', url: 'https://cdn.example.com/h.jpg' },
        body: [
          { type: 'text', text: 'Jane' },
          { type: 'currency', fallbackValue: '$10.99', code: 'USD', amount1000: 10990 },
          { type: 'date_time', fallbackValue: 'Feb 25, 2026' },
        ],
        buttons: [
          { index: 0, subType: 'quick_reply', value: 'CONFIRM_1023' },
          { index: 1, subType: 'url', value: '1023/track' },
          { index: 2, subType: 'copy_code', value: 'SAVE10' },
        ],
      }),
    ).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          {
            type: 'header',
            parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/h.jpg' } }],
          },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Jane' },
              { type: 'currency', currency: { fallback_value: '$10.99', code: 'USD', amount_1000: 10990 } },
              { type: 'date_time', date_time: { fallback_value: 'Feb 25, 2026' } },
            ],
          },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'CONFIRM_1023' }],
          },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: '1023/track' }] },
          {
            type: 'button',
            sub_type: 'copy_code',
            index: '2',
            parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }],
          },
        ],
      },
    });
  });

  it('maps named template parameters with parameter_name, and a template without parameters', () => {
    const named = body({
      kind: 'template',
      name: 'welcome_offer',
      language: 'en_US',
      body: [
        { type: 'text', text: 'Jane', name: 'first_name' },
        { type: 'text', text: 'Herald Shop', name: 'shop_name' },
      ],
    });
    expect((named.template as { components: unknown[] }).components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Jane', parameter_name: 'first_name' },
          { type: 'text', text: 'Herald Shop', parameter_name: 'shop_name' },
        ],
      },
    ]);
    expect(body({ kind: 'template', name: 'hello_world', language: 'en_US' }).template).toEqual({
      name: 'hello_world',
      language: { code: 'en_US' },
    });
  });

  it('refuses a template body that mixes named and positional parameters', () => {
    const result = metaMessageBody(TO, {
      kind: 'template',
      name: 'x',
      language: 'en',
      body: [
        { type: 'text', text: 'a', name: 'a' },
        { type: 'text', text: 'b' },
      ],
    });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('all positional or all named') });
  });

  it('maps media by link and by id, with caption and filename where WhatsApp has them', () => {
    expect(
      body({ kind: 'media', mediaType: 'image', url: 'https://cdn.example.com/a.jpg', caption: 'A' }),
    ).toMatchObject({
      type: 'image',
      image: { link: 'https://cdn.example.com/a.jpg', caption: 'A' },
    });
    expect(body({ kind: 'media', mediaType: 'audio', mediaId: '123' })).toMatchObject({
      type: 'audio',
      audio: { id: '123' },
    });
    expect(body({ kind: 'media', mediaType: 'video', mediaId: '9', caption: 'V' })).toMatchObject({
      video: { id: '9', caption: 'V' },
    });
    expect(
      body({
        kind: 'media',
        mediaType: 'document',
        url: 'https://x.example/f.pdf',
        filename: 'f.pdf',
        caption: 'F',
      }),
    ).toMatchObject({ document: { link: 'https://x.example/f.pdf', filename: 'f.pdf', caption: 'F' } });
  });

  it('refuses media with both or neither source, and audio with a caption', () => {
    expect(metaMessageBody(TO, { kind: 'media', mediaType: 'image' }).ok).toBe(false);
    expect(
      metaMessageBody(TO, { kind: 'media', mediaType: 'image', url: 'https://a/b', mediaId: '1' }).ok,
    ).toBe(false);
    expect(metaMessageBody(TO, { kind: 'media', mediaType: 'audio', mediaId: '1', caption: 'x' }).ok).toBe(
      false,
    );
  });

  it('maps interactive reply buttons and lists', () => {
    expect(
      body({
        kind: 'interactive',
        interactive: {
          type: 'button',
          header: 'Order #1023',
          body: 'Confirm this order?',
          footer: 'Reply within 1h',
          buttons: [
            { id: 'yes', title: 'Yes' },
            { id: 'no', title: 'No' },
          ],
        },
      }).interactive,
    ).toEqual({
      type: 'button',
      header: { type: 'text', text: 'Order #1023' },
      body: { text: 'Confirm this order?' },
      footer: { text: 'Reply within 1h' },
      action: {
        buttons: [
          { type: 'reply', reply: { id: 'yes', title: 'Yes' } },
          { type: 'reply', reply: { id: 'no', title: 'No' } },
        ],
      },
    });
    expect(
      body({
        kind: 'interactive',
        interactive: {
          type: 'list',
          body: 'Which shipping option do you prefer?',
          button: 'Shipping Options',
          sections: [
            {
              title: 'I want it ASAP!',
              rows: [
                { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
              ],
            },
          ],
        },
      }).interactive,
    ).toEqual({
      type: 'list',
      body: { text: 'Which shipping option do you prefer?' },
      action: {
        button: 'Shipping Options',
        sections: [
          {
            title: 'I want it ASAP!',
            rows: [
              { id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' },
            ],
          },
        ],
      },
    });
  });

  it('maps location and reaction', () => {
    expect(
      body({
        kind: 'location',
        latitude: 37.4847,
        longitude: -122.1473,
        name: 'HQ',
        address: '1 Hacker Way',
      }),
    ).toMatchObject({
      type: 'location',
      location: { latitude: 37.4847, longitude: -122.1473, name: 'HQ', address: '1 Hacker Way' },
    });
    expect(body({ kind: 'reaction', messageId: 'wamid.X', emoji: '\u{1F600}' })).toMatchObject({
      type: 'reaction',
      reaction: { message_id: 'wamid.X', emoji: '\u{1F600}' },
    });
  });

  it('refuses what WhatsApp cannot carry', () => {
    expect(metaMessageBody(TO, { kind: 'sticker', packageId: '1', stickerId: '2' }).ok).toBe(false);
    expect(metaMessageBody(TO, { kind: 'custom', data: '{}' }).ok).toBe(false);
  });
});
