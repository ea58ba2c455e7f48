/**
 * A message template: a WhatsApp template (one name, several languages, each with its components) or a text and
 * media message for SMS, LINE and WhatsApp inside the 24-hour window, personalised with `{{...}}` placeholders
 * that name endpoint fields (`{{User.UserAttributes.FirstName}}`, `{{Attributes.City}}`, `{{Address}}`).
 * Templates are versioned: every update writes the next version, and campaigns name a version or use the latest.
 *
 * @example
 * const template: Template = {
 *   appId: 'app-1', id: '01J...', version: 1, name: 'welcome', createdAt: now, updatedAt: now,
 *   definition: { kind: 'message', text: 'Hi {{User.UserAttributes.FirstName}}', defaults: { 'User.UserAttributes.FirstName': 'there' } },
 * };
 */
export interface Template {
  readonly appId: string;
  readonly id: string;
  readonly version: number;
  /** Unique in the app. For WhatsApp templates, the provider's template name. */
  readonly name: string;
  readonly definition: TemplateDefinition;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type TemplateDefinition = WhatsAppTemplateDefinition | MessageTemplateDefinition;

export const WHATSAPP_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type WhatsAppCategory = (typeof WHATSAPP_CATEGORIES)[number];

/** A WhatsApp template as the provider holds it: Herald sends it by name and language with parameters. */
export interface WhatsAppTemplateDefinition {
  readonly kind: 'whatsapp';
  readonly category: WhatsAppCategory;
  /** POSITIONAL: `{{1}}`, `{{2}}`...; NAMED: `{{first_name}}`. */
  readonly parameterFormat: 'POSITIONAL' | 'NAMED';
  /** One entry per approved translation. */
  readonly languages: readonly WhatsAppTemplateLanguage[];
  /** Where the template came from when it was imported with `templates sync`. */
  readonly syncedFrom?: { readonly channelId: string; readonly at: number };
}

export interface WhatsAppTemplateLanguage {
  /** e.g. `en_US`, `es`. */
  readonly language: string;
  /** The provider's review status when synced (`APPROVED`, `PAUSED`...); absent for templates described by hand. */
  readonly status?: string;
  readonly header?: WhatsAppHeader;
  readonly body: { readonly text: string };
  readonly footer?: { readonly text: string };
  readonly buttons?: readonly WhatsAppButton[];
}

export type WhatsAppHeader =
  | { readonly format: 'TEXT'; readonly text: string }
  | { readonly format: 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION' };

export type WhatsAppButton =
  | { readonly type: 'QUICK_REPLY'; readonly text: string }
  /** `url` may end in `{{1}}`: a dynamic suffix given per message. */
  | { readonly type: 'URL'; readonly text: string; readonly url: string }
  | { readonly type: 'COPY_CODE'; readonly example?: string }
  | { readonly type: 'PHONE_NUMBER'; readonly text: string; readonly phoneNumber: string };

/** Text and/or media; `{{...}}` in the text, caption and URLs name endpoint fields. */
export interface MessageTemplateDefinition {
  readonly kind: 'message';
  readonly text?: string;
  readonly media?: TemplateMedia;
  /** Values for placeholders an endpoint does not fill, by placeholder name (Pinpoint's DefaultSubstitutions). */
  readonly defaults: Readonly<Record<string, string>>;
}

export interface TemplateMedia {
  readonly mediaType: 'image' | 'audio' | 'video' | 'document';
  readonly url: string;
  readonly caption?: string;
  readonly filename?: string;
  /** Audio length (LINE requires it), milliseconds. */
  readonly durationMs?: number;
  /** Preview image (LINE requires it for video and image). */
  readonly previewUrl?: string;
}

/**
 * One value a template needs per message, so a form can be built from the template:
 * - WhatsApp: `header.<n|name>` (text header), `header.media` (image/video/document header URL),
 *   `header.location` (`lat,long`), `body.<n|name>`, `buttons.<index>.url` (dynamic URL suffix),
 *   `buttons.<index>.payload` (quick reply, optional), `buttons.<index>.code` (copy code).
 * - message templates: the endpoint field each placeholder names, e.g. `User.UserAttributes.FirstName`.
 */
export interface TemplateVariable {
  readonly name: string;
  readonly component: 'header' | 'body' | 'button' | 'text' | 'media';
  readonly type:
    | 'text'
    | 'image'
    | 'video'
    | 'document'
    | 'location'
    | 'payload'
    | 'url_suffix'
    | 'coupon_code';
  /** False when the provider accepts the message without it (a quick-reply payload). */
  readonly required: boolean;
  /** Languages (WhatsApp) that use it; every one when absent. */
  readonly languages?: readonly string[];
  readonly default?: string;
}

/** Where a campaign takes a WhatsApp template variable's value: an endpoint field (with a default), or a constant. */
export type VariableMapping =
  | { readonly field: string; readonly default?: string }
  | { readonly value: string };
