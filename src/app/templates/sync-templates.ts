import { HeraldError, isHeraldError } from '../../domain/errors.js';
import type { ProviderTemplate } from '../../domain/provider-template.js';
import {
  type Template,
  WHATSAPP_CATEGORIES,
  type WhatsAppButton,
  type WhatsAppCategory,
  type WhatsAppHeader,
  type WhatsAppTemplateDefinition,
  type WhatsAppTemplateLanguage,
} from '../../domain/template.js';
import type { ChannelDirectory } from '../channels/channel-directory.js';
import { createTemplate, type TemplateDeps, updateTemplate } from './save-template.js';

export interface SyncTemplatesDeps extends TemplateDeps {
  readonly directory: Pick<ChannelDirectory, 'adapterFor'>;
}

export interface SyncReport {
  readonly created: Template[];
  readonly updated: Template[];
  readonly unchanged: Template[];
  /** Provider templates Herald could not take, with why. */
  readonly skipped: { readonly name: string; readonly language?: string; readonly reason: string }[];
}

/**
 * Imports the WhatsApp templates of a channel's business account: one Herald template per name, its translations
 * as languages (with their review status). A template that exists writes a new version only when the provider's
 * copy changed; one Herald holds under the same name as a text template is left alone and reported.
 *
 * @example
 * const { created, updated } = await syncTemplates(deps, appId, 'whatsapp-main');
 */
export async function syncTemplates(
  deps: SyncTemplatesDeps,
  appId: string,
  channelId: string,
): Promise<SyncReport> {
  const { channel, adapter } = await deps.directory.adapterFor(appId, channelId);
  if (channel.channelType !== 'WHATSAPP' || !adapter.listTemplates) {
    throw new HeraldError(
      'HERALD_VALIDATION_FAILED',
      `channel ${channelId} (${channel.provider}) cannot list WhatsApp templates`,
      { field: 'channelId' },
    );
  }
  let listed: ProviderTemplate[];
  try {
    listed = await adapter.listTemplates();
  } catch (error) {
    if (isHeraldError(error)) throw error;
    throw new HeraldError('HERALD_PROVIDER_ERROR', error instanceof Error ? error.message : String(error), {
      field: 'channelId',
    });
  }

  const report: SyncReport = { created: [], updated: [], unchanged: [], skipped: [] };
  const byName = new Map<string, ProviderTemplate[]>();
  for (const template of listed) byName.set(template.name, [...(byName.get(template.name) ?? []), template]);
  const now = deps.clock.now();
  for (const [name, translations] of byName) {
    const languages: WhatsAppTemplateLanguage[] = [];
    for (const translation of translations) {
      const converted = toLanguage(translation);
      if (typeof converted === 'string')
        report.skipped.push({ name, language: translation.language, reason: converted });
      else languages.push(converted);
    }
    const first = translations[0] as ProviderTemplate;
    if (languages.length === 0) continue;
    const definition: WhatsAppTemplateDefinition = {
      kind: 'whatsapp',
      category: (WHATSAPP_CATEGORIES as readonly string[]).includes(first.category)
        ? (first.category as WhatsAppCategory)
        : 'UTILITY',
      parameterFormat: first.parameterFormat,
      languages,
      syncedFrom: { channelId, at: now },
    };
    try {
      const existing = await deps.templates.findByName(appId, name);
      if (!existing) {
        report.created.push(await createTemplate(deps, appId, { name, definition }));
      } else if (existing.definition.kind !== 'whatsapp') {
        report.skipped.push({
          name,
          reason: `a ${existing.definition.kind} template is already named ${name}`,
        });
      } else if (sameContent(existing.definition, definition)) {
        report.unchanged.push(existing);
      } else {
        report.updated.push(await updateTemplate(deps, appId, existing.id, { definition }));
      }
    } catch (error) {
      if (!isHeraldError(error) || error.status >= 500) throw error;
      report.skipped.push({ name, reason: error.message });
    }
  }
  return report;
}

function sameContent(a: WhatsAppTemplateDefinition, b: WhatsAppTemplateDefinition): boolean {
  const { syncedFrom: _a, ...left } = a;
  const { syncedFrom: _b, ...right } = b;
  return canonical(left) === canonical(right);
}

/** JSON with keys sorted: PostgreSQL's jsonb gives keys back in its own order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A translation in Herald's shape, or why it cannot be taken. */
function toLanguage(template: ProviderTemplate): WhatsAppTemplateLanguage | string {
  let header: WhatsAppHeader | undefined;
  let body: string | undefined;
  let footer: string | undefined;
  let buttons: WhatsAppButton[] | undefined;
  for (const component of template.components) {
    const type = String(component.type ?? '').toUpperCase();
    if (type === 'HEADER') {
      const format = String(component.format ?? 'TEXT').toUpperCase();
      if (format === 'TEXT') header = { format: 'TEXT', text: String(component.text ?? '') };
      else if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT' || format === 'LOCATION')
        header = { format };
      else return `header format ${format} is not supported`;
    } else if (type === 'BODY') body = String(component.text ?? '');
    else if (type === 'FOOTER') footer = String(component.text ?? '');
    else if (type === 'BUTTONS') {
      buttons = [];
      for (const raw of Array.isArray(component.buttons) ? component.buttons : []) {
        const button = raw as Record<string, unknown>;
        const kind = String(button.type ?? '').toUpperCase();
        const text = String(button.text ?? '');
        if (kind === 'QUICK_REPLY') buttons.push({ type: 'QUICK_REPLY', text });
        else if (kind === 'URL') buttons.push({ type: 'URL', text, url: String(button.url ?? '') });
        else if (kind === 'COPY_CODE')
          buttons.push({ type: 'COPY_CODE', ...(button.example ? { example: String(button.example) } : {}) });
        else if (kind === 'PHONE_NUMBER')
          buttons.push({ type: 'PHONE_NUMBER', text, phoneNumber: String(button.phone_number ?? '') });
        else return `button type ${kind} is not supported`;
      }
    }
  }
  if (body === undefined) return 'the template has no body';
  return {
    language: template.language,
    status: template.status,
    ...(header ? { header } : {}),
    body: { text: body },
    ...(footer === undefined ? {} : { footer: { text: footer } }),
    ...(buttons && buttons.length > 0 ? { buttons } : {}),
  };
}
