import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChannelEvent, InboundContent } from '../../domain/channel-event.js';
import { metaEntryEvents, metaWebhookEvents } from './meta-webhook-events.js';

/** Copies of /work/shared/fixtures/whatsapp (pywa's webhook test data, MIT). */
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(new URL(`./test-support/${name}`, import.meta.url), 'utf8'));

const messages = fixture('webhook-messages.json');
const statuses = fixture('webhook-statuses.json');
const buttons = fixture('webhook-button-replies.json');
const interactive = fixture('webhook-interactive-replies.json');

const RECEIVED_AT = 1_800_000_000_000;
const parse = (body: unknown, phoneNumberId?: string) =>
  metaWebhookEvents(body, {
    receivedAt: RECEIVED_AT,
    ...(phoneNumberId === undefined ? {} : { phoneNumberId }),
  });
const only = (body: unknown): ChannelEvent => {
  const result = parse(body);
  expect(result?.events).toHaveLength(1);
  return result?.events[0] as ChannelEvent;
};

describe('Meta webhook parsing: inbound messages (every fixture)', () => {
  const cases: [string, InboundContent, { contextMessageId?: string; id?: string; at: number }][] = [
    ['text', { kind: 'text', text: 'Body Text' }, { at: 1697043223 }],
    [
      'image',
      { kind: 'media', mediaType: 'image', mediaId: '65463453', mimeType: 'image/jpeg' },
      { at: 1697043379 },
    ],
    [
      'media_with_url',
      { kind: 'media', mediaType: 'image', mediaId: '65463453', mimeType: 'image/jpeg' },
      { at: 1697043379 },
    ],
    [
      'video',
      { kind: 'media', mediaType: 'video', mediaId: '765756756', mimeType: 'video/mp4', caption: 'caption' },
      { at: 1697044362 },
    ],
    [
      'document',
      {
        kind: 'media',
        mediaType: 'document',
        mediaId: '1234567890987654321',
        mimeType: 'application/pdf',
        caption: 'caption',
      },
      { at: 1697043666 },
    ],
    [
      'audio',
      {
        kind: 'media',
        mediaType: 'audio',
        mediaId: '1234567890987654321',
        mimeType: 'audio/ogg; codecs=opus',
      },
      { at: 1697043509 },
    ],
    [
      'voice',
      {
        kind: 'media',
        mediaType: 'audio',
        mediaId: '1234567890987654321',
        mimeType: 'audio/ogg; codecs=opus',
      },
      { at: 1697043473 },
    ],
    [
      'static_sticker',
      { kind: 'media', mediaType: 'sticker', mediaId: '1234567890987654321', mimeType: 'image/webp' },
      { at: 1697043760 },
    ],
    [
      'animated_sticker',
      { kind: 'media', mediaType: 'sticker', mediaId: '1234567890987654321', mimeType: 'image/webp' },
      { at: 1697043785 },
    ],
    ['reaction', { kind: 'reaction', messageId: 'wamid.yzxyzx=', emoji: '\u{1F62E}' }, { at: 1697044456 }],
    ['unreaction_empty', { kind: 'reaction', messageId: 'wamid.yzxyzx=', emoji: '' }, { at: 1697044456 }],
    ['unreaction_no_emoji', { kind: 'reaction', messageId: 'wamid.yzxyzx=', emoji: '' }, { at: 1697044456 }],
    ['current_location', { kind: 'location', latitude: 12.25089, longitude: 43.90539 }, { at: 1697044557 }],
    [
      'chosen_location',
      {
        kind: 'location',
        latitude: 37.4611978,
        longitude: -122.2164385,
        name: 'Facebook HQ',
        address: '1 Hacker Way, Menlo Park, CA 94025',
      },
      { at: 1697044557 },
    ],
    ['contacts', { kind: 'unsupported', providerType: 'contacts' }, { at: 1697044621 }],
    ['order', { kind: 'unsupported', providerType: 'order' }, { at: 1697044668 }],
    ['unsupported', { kind: 'unsupported', providerType: 'unsupported' }, { at: 1697044706 }],
    ['unsupported_with_type', { kind: 'unsupported', providerType: 'unsupported' }, { at: 1697044706 }],
    ['reply', { kind: 'text', text: 'replied text' }, { at: 1697044746, contextMessageId: 'wamid.xyzxyz==' }],
    ['forwarded', { kind: 'text', text: 'forwarded text' }, { at: 1697044815 }],
    ['forwarded_many_times', { kind: 'text', text: 'text forwarded many times' }, { at: 1697044968 }],
    [
      'interactive_message_with_err',
      { kind: 'unsupported', providerType: 'interactive' },
      { at: 1700505494, contextMessageId: 'wamid.gvwegfretge==', id: 'wamid.wegrchytvwcggt=' },
    ],
    ['referral', { kind: 'text', text: 'BODY' }, { at: 1697045000, id: 'wamid.ID' }],
  ];

  it('covers every named body in the fixture', () => {
    expect(cases.map(([name]) => name).sort()).toEqual(Object.keys(messages).sort());
  });

  for (const [name, content, expected] of cases) {
    it(`parses "${name}"`, () => {
      const id = expected.id ?? 'wamid.xyzxyz';
      expect(only(messages[name])).toEqual({
        type: 'message',
        eventId: id,
        providerMessageId: id,
        occurredAt: expected.at * 1000,
        from: '+972987654321',
        profileName: 'Test Name',
        content,
        ...(expected.contextMessageId === undefined ? {} : { contextMessageId: expected.contextMessageId }),
      });
    });
  }
});

describe('Meta webhook parsing: button and interactive replies', () => {
  it('parses an interactive button reply', () => {
    expect(only(buttons.button)).toMatchObject({
      type: 'message',
      eventId: 'wamid.xyzxyz',
      contextMessageId: 'wamid.xyzxyz',
      content: { kind: 'interactive', replyType: 'button_reply', id: 'callback_data', title: 'title' },
    });
  });

  it('parses a template quick-reply button, with and without context', () => {
    expect(only(buttons.quick_reply)).toMatchObject({
      eventId: 'wamid.xsidjw',
      occurredAt: 1698269027000,
      contextMessageId: 'wamid.xyzxyz==',
      content: { kind: 'button', text: 'title', payload: 'callback_data' },
    });
    const bare = only(buttons.quick_reply_without_context);
    expect(bare).toMatchObject({
      eventId: 'wamid.xsidjx',
      content: { kind: 'button', payload: 'callback_data' },
    });
    expect(bare).not.toHaveProperty('contextMessageId');
  });

  it('parses list replies, with and without a description', () => {
    expect(only(interactive.callback)).toMatchObject({
      eventId: 'wamid.zyzxyz',
      content: { kind: 'interactive', replyType: 'list_reply', id: 'callback_data', title: 'title' },
    });
    expect(only(interactive.description)).toMatchObject({
      content: {
        kind: 'interactive',
        replyType: 'list_reply',
        id: 'callback_data',
        title: 'title',
        description: 'description',
      },
    });
  });
});

describe('Meta webhook parsing: statuses', () => {
  it('parses sent, delivered and read with (id, status) event ids', () => {
    expect(only(statuses.sent)).toEqual({
      type: 'status',
      eventId: 'wamid.xyzxyz:sent',
      occurredAt: 1698266945000,
      providerMessageId: 'wamid.xyzxyz',
      status: 'sent',
    });
    expect(only(statuses.delivered)).toMatchObject({
      eventId: 'wamid.xyzxyz:delivered',
      status: 'delivered',
    });
    expect(only(statuses.read)).toMatchObject({
      eventId: 'wamid.xyzxyz:read',
      status: 'read',
      occurredAt: 1689380458000,
    });
  });

  it('treats played (a voice message listened to) as read, with its own event id', () => {
    expect(only(statuses.played)).toMatchObject({ eventId: 'wamid.xyzxyz:played', status: 'read' });
  });

  it('carries the error of a failed status', () => {
    expect(only(statuses.failed)).toEqual({
      type: 'status',
      eventId: 'wamid.xyzxyz:failed',
      occurredAt: 1689380458000,
      providerMessageId: 'wamid.xyzxyz',
      status: 'failed',
      error: {
        code: '130472',
        message:
          "User's number is part of an experiment: Failed to send message because this user's phone number is part of an experiment",
      },
    });
  });

  it('echoes biz_opaque_callback_data as callbackData', () => {
    expect(only(statuses.with_tracker)).toMatchObject({ status: 'sent', callbackData: 'some data' });
  });

  it('parses a group status', () => {
    expect(only(statuses.group)).toMatchObject({
      providerMessageId: '<WHATSAPP_MESSAGE_ID>',
      status: 'read',
    });
  });
});

describe('Meta webhook parsing: robustness', () => {
  it('skips entries for another phone number of the WABA', () => {
    expect(parse(messages.text, '1122334455667')?.events).toHaveLength(1);
    expect(parse(messages.text, '999')).toEqual({ events: [], otherNumbers: 1 });
  });

  it('refuses a body that is not a WhatsApp Business Account notification', () => {
    expect(parse({ object: 'page', entry: [] })).toBeUndefined();
    expect(parse('nonsense')).toBeUndefined();
  });

  it('skips malformed parts one by one, never throwing', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            { field: 'messages', value: { statuses: [{ nope: 1 }, { id: 'w', status: 'deleted' }] } },
          ],
        },
        { id: '2', changes: 'not a list' },
        { id: '3', changes: [{ field: 'account_update', value: { event: 'x' } }] },
        {
          id: '4',
          changes: [
            {
              field: 'messages',
              value: {
                messages: [{ from: '1555', id: 'wamid.ok', type: 'text', text: {} }, { id: 'no-from' }],
              },
            },
          ],
        },
      ],
    };
    expect(parse(body)?.events).toEqual([
      {
        type: 'message',
        eventId: 'wamid.ok',
        occurredAt: RECEIVED_AT,
        from: '+1555',
        providerMessageId: 'wamid.ok',
        content: { kind: 'unsupported', providerType: 'text' },
      },
    ]);
  });

  it('parses a single entry as AWS delivers it', () => {
    const entry = (messages.text as { entry: unknown[] }).entry[0];
    expect(metaEntryEvents(entry, { receivedAt: 0 }).events[0]).toMatchObject({ eventId: 'wamid.xyzxyz' });
    expect(metaEntryEvents('garbage', { receivedAt: 0 })).toEqual({ events: [], otherNumbers: 0 });
  });
});
