import type { MessageContent } from '../../domain/message-content.js';
import type { SendFailure } from '../../ports/channel-adapter.js';

/** A LINE message object as the Messaging API takes it (`messages[]` of push, reply, multicast). */
export type LineMessageObject =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image'; readonly originalContentUrl: string; readonly previewImageUrl: string }
  | { readonly type: 'video'; readonly originalContentUrl: string; readonly previewImageUrl: string }
  | { readonly type: 'audio'; readonly originalContentUrl: string; readonly duration: number }
  | { readonly type: 'sticker'; readonly packageId: string; readonly stickerId: string }
  | {
      readonly type: 'location';
      readonly title: string;
      readonly address: string;
      readonly latitude: number;
      readonly longitude: number;
    };

function unsupported(message: string): { ok: false; failure: SendFailure } {
  return { ok: false, failure: { class: 'permanent', code: 'unsupported_content', message } };
}

/**
 * Herald's content as LINE message objects. A media caption becomes a second (text) message object, since LINE
 * media carry none. Content LINE cannot carry (templates, WhatsApp interactive messages, documents, media by
 * provider id) is refused as a permanent `unsupported_content` failure instead of being sent half-right.
 *
 * @example
 * lineMessageObjects({ kind: 'media', mediaType: 'audio', url: 'https://x/a.m4a', durationMs: 6000 })
 * // { ok: true, messages: [{ type: 'audio', originalContentUrl: 'https://x/a.m4a', duration: 6000 }] }
 */
export function lineMessageObjects(
  content: MessageContent,
): { ok: true; messages: LineMessageObject[] } | { ok: false; failure: SendFailure } {
  switch (content.kind) {
    case 'text':
      return { ok: true, messages: [{ type: 'text', text: content.text }] };
    case 'sticker':
      return {
        ok: true,
        messages: [{ type: 'sticker', packageId: content.packageId, stickerId: content.stickerId }],
      };
    case 'location':
      return {
        ok: true,
        messages: [
          {
            type: 'location',
            // LINE requires both; a bare pin gets its coordinates as the address.
            title: content.name ?? 'Location',
            address: content.address ?? `${content.latitude}, ${content.longitude}`,
            latitude: content.latitude,
            longitude: content.longitude,
          },
        ],
      };
    case 'media': {
      if (content.url === undefined) {
        return unsupported('LINE takes media by HTTPS URL only; provider media ids cannot be sent');
      }
      let media: LineMessageObject;
      if (content.mediaType === 'image') {
        media = {
          type: 'image',
          originalContentUrl: content.url,
          previewImageUrl: content.previewUrl ?? content.url,
        };
      } else if (content.mediaType === 'video') {
        if (content.previewUrl === undefined) {
          return unsupported('a LINE video needs previewUrl (a JPEG or PNG preview image)');
        }
        media = { type: 'video', originalContentUrl: content.url, previewImageUrl: content.previewUrl };
      } else if (content.mediaType === 'audio') {
        if (content.durationMs === undefined) {
          return unsupported('a LINE audio message needs durationMs (its length in milliseconds)');
        }
        media = { type: 'audio', originalContentUrl: content.url, duration: content.durationMs };
      } else {
        return unsupported(`LINE cannot send ${content.mediaType} messages`);
      }
      return {
        ok: true,
        messages: content.caption ? [media, { type: 'text', text: content.caption }] : [media],
      };
    }
    default:
      return unsupported(`LINE cannot send ${content.kind} messages`);
  }
}
