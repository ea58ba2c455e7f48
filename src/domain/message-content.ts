/**
 * What an outbound message says, independent of the provider. Each channel adapter maps it to its wire format
 * and refuses (permanent failure `unsupported_content`) what its channel cannot carry.
 */
export type MessageContent =
  | TextContent
  | TemplateContent
  | MediaContent
  | InteractiveContent
  | LocationContent
  | ReactionContent
  | StickerContent
  | CustomContent;

export interface TextContent {
  readonly kind: 'text';
  readonly text: string;
  /** WhatsApp: show a link preview. */
  readonly previewUrl?: boolean;
}

/** A WhatsApp template message: name and language of an approved template, and its parameters. */
export interface TemplateContent {
  readonly kind: 'template';
  readonly name: string;
  /** e.g. `en_US`. */
  readonly language: string;
  readonly header?: TemplateParameter;
  /** Positional (`{{1}}`, in order) or named (`{{first_name}}`, each with `name`). */
  readonly body?: readonly TemplateParameter[];
  readonly buttons?: readonly TemplateButtonParameter[];
}

export type TemplateParameter =
  | { readonly type: 'text'; readonly text: string; readonly name?: string }
  | {
      readonly type: 'currency';
      readonly fallbackValue: string;
      readonly code: string;
      readonly amount1000: number;
      readonly name?: string;
    }
  | { readonly type: 'date_time'; readonly fallbackValue: string; readonly name?: string }
  | {
      readonly type: 'image' | 'video' | 'document';
      readonly url?: string;
      readonly id?: string;
      readonly filename?: string;
    }
  | {
      readonly type: 'location';
      readonly latitude: number;
      readonly longitude: number;
      readonly name?: string;
      readonly address?: string;
    };

export interface TemplateButtonParameter {
  /** 0-based position of the button in the template. */
  readonly index: number;
  readonly subType: 'quick_reply' | 'url' | 'copy_code';
  /** quick_reply: the payload; url: the dynamic URL suffix; copy_code: the code. */
  readonly value: string;
}

export interface MediaContent {
  readonly kind: 'media';
  readonly mediaType: 'image' | 'audio' | 'video' | 'document';
  /** Public HTTPS URL, or `mediaId` of media uploaded to the provider. */
  readonly url?: string;
  readonly mediaId?: string;
  readonly caption?: string;
  readonly filename?: string;
  /** Audio (LINE requires it), milliseconds. */
  readonly durationMs?: number;
  /** Video and image preview (LINE requires it for video). */
  readonly previewUrl?: string;
}

export interface InteractiveContent {
  readonly kind: 'interactive';
  readonly interactive: InteractiveButtons | InteractiveList;
}

export interface InteractiveButtons {
  readonly type: 'button';
  readonly header?: string;
  readonly body: string;
  readonly footer?: string;
  /** 1-3 reply buttons. */
  readonly buttons: readonly { readonly id: string; readonly title: string }[];
}

export interface InteractiveList {
  readonly type: 'list';
  readonly header?: string;
  readonly body: string;
  readonly footer?: string;
  /** The label of the button that opens the list. */
  readonly button: string;
  readonly sections: readonly {
    readonly title?: string;
    readonly rows: readonly { readonly id: string; readonly title: string; readonly description?: string }[];
  }[];
}

export interface LocationContent {
  readonly kind: 'location';
  readonly latitude: number;
  readonly longitude: number;
  readonly name?: string;
  readonly address?: string;
}

export interface ReactionContent {
  readonly kind: 'reaction';
  /** The provider id of the message reacted to. */
  readonly messageId: string;
  /** Empty removes the reaction. */
  readonly emoji: string;
}

/** LINE stickers. */
export interface StickerContent {
  readonly kind: 'sticker';
  readonly packageId: string;
  readonly stickerId: string;
}

/**
 * A Pinpoint custom-channel delivery: the receiver gets Pinpoint's payload (`Message`, `Data`, `Endpoints`...).
 * Only custom channels carry it.
 */
export interface CustomContent {
  readonly kind: 'custom';
  /** Pinpoint's `CustomMessage.Data` string. */
  readonly data: string;
}

/** Only templates may open a WhatsApp conversation outside the 24-hour window. */
export function isFreeForm(content: MessageContent): boolean {
  return content.kind !== 'template';
}
