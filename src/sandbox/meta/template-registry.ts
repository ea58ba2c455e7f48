import { z } from 'zod';
import { type MetaErrorReply, metaError } from './meta-error.js';
import type { MetaTemplatePayload } from './meta-message-schema.js';

const buttonSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('QUICK_REPLY'), text: z.string().min(1).max(25) }),
  z.strictObject({ type: z.literal('URL'), text: z.string().min(1).max(25), url: z.url() }),
  z.strictObject({ type: z.literal('COPY_CODE'), example: z.string().min(1).max(15) }),
  z.strictObject({
    type: z.literal('PHONE_NUMBER'),
    text: z.string().min(1).max(25),
    phone_number: z.string(),
  }),
]);

const componentSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('HEADER'),
    format: z.enum(['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION']),
    text: z.string().min(1).max(60).optional(),
  }),
  z.strictObject({ type: z.literal('BODY'), text: z.string().min(1).max(1024) }),
  z.strictObject({ type: z.literal('FOOTER'), text: z.string().min(1).max(60) }),
  z.strictObject({ type: z.literal('BUTTONS'), buttons: z.array(buttonSchema).min(1).max(10) }),
]);

/** A template as the sandbox holds it, in the shape Graph's `message_templates` returns. */
export const sandboxTemplateSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lowercase letters, digits and underscores'),
  language: z.string().min(2).max(15),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']).default('UTILITY'),
  status: z.enum(['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED']).default('APPROVED'),
  parameter_format: z.enum(['POSITIONAL', 'NAMED']).default('POSITIONAL'),
  components: z.array(componentSchema).min(1),
});

export type SandboxTemplate = z.output<typeof sandboxTemplateSchema> & {
  readonly id: string;
  /** The WhatsApp Business Account that owns it; shared by every account when absent. */
  readonly wabaId?: string;
};
type Component = SandboxTemplate['components'][number];

/** Preloaded in every sandbox, so a demo can send templates at once (and tests can hit each error). */
export const DEMO_TEMPLATES: readonly z.input<typeof sandboxTemplateSchema>[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    components: [{ type: 'BODY', text: 'Hello World! Welcome to the Herald WhatsApp sandbox.' }],
  },
  {
    name: 'order_update',
    language: 'en_US',
    components: [
      { type: 'HEADER', format: 'IMAGE' },
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} ships on {{3}}.' },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Confirm' },
          { type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}' },
        ],
      },
    ],
  },
  {
    name: 'order_update',
    language: 'es',
    components: [
      { type: 'HEADER', format: 'IMAGE' },
      { type: 'BODY', text: 'Hola {{1}}, tu pedido {{2}} sale el {{3}}.' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Confirmar' },
          { type: 'URL', text: 'Seguir', url: 'https://shop.example.com/track/{{1}}' },
        ],
      },
    ],
  },
  {
    name: 'welcome_offer',
    language: 'en_US',
    category: 'MARKETING',
    parameter_format: 'NAMED',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Welcome {{first_name}}' },
      { type: 'BODY', text: 'Hi {{first_name}}, enjoy 10% off at {{shop_name}} with the code below.' },
      { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'WELCOME10' }] },
    ],
  },
  {
    name: 'consent_request',
    language: 'en_US',
    components: [
      { type: 'BODY', text: 'Hi {{1}}, we have an update for you. Tap below to see it.' },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Show me' }] },
    ],
  },
  {
    name: 'spring_sale',
    language: 'en_US',
    category: 'MARKETING',
    status: 'PAUSED',
    components: [{ type: 'BODY', text: 'Our spring sale starts today.' }],
  },
];

/**
 * The sandbox's approved templates, per WhatsApp Business Account, and the checks Meta runs when one is sent:
 * unknown name or language (132001), paused or disabled (132015/132016), parameter count (132000) and format
 * (132012). Templates added without a WABA id are shared by every account.
 */
export class TemplateRegistry {
  private readonly templates: SandboxTemplate[] = [];
  private nextId = 1;

  constructor(preload: readonly z.input<typeof sandboxTemplateSchema>[] = DEMO_TEMPLATES) {
    for (const template of preload) this.add(template);
  }

  add(input: z.input<typeof sandboxTemplateSchema>, wabaId?: string): SandboxTemplate {
    const parsed = sandboxTemplateSchema.parse(input);
    const stored: SandboxTemplate = {
      ...parsed,
      id: String(this.nextId++),
      ...(wabaId === undefined ? {} : { wabaId }),
    };
    const key = (t: SandboxTemplate) => `${t.wabaId ?? ''}\u0000${t.name}\u0000${t.language}`;
    const existing = this.templates.findIndex((t) => key(t) === key(stored));
    if (existing >= 0) this.templates.splice(existing, 1, stored);
    else this.templates.push(stored);
    return stored;
  }

  list(wabaId: string): SandboxTemplate[] {
    return this.templates.filter((t) => t.wabaId === undefined || t.wabaId === wabaId);
  }

  /** The template a send names, without copying the WABA's list (this runs on every send). */
  find(wabaId: string, name: string, language: string): SandboxTemplate | undefined {
    return this.templates.find(
      (t) => (t.wabaId === undefined || t.wabaId === wabaId) && t.name === name && t.language === language,
    );
  }

  /** Checks a send's `template` object against the registry; undefined when Meta would accept it. */
  check(wabaId: string, payload: MetaTemplatePayload): MetaErrorReply | undefined {
    const template = this.find(wabaId, payload.name, payload.language.code);
    if (!template) {
      return metaError(132001, `template name (${payload.name}) does not exist in ${payload.language.code}`);
    }
    if (template.status === 'PAUSED') return metaError(132015, `template ${template.name} is paused`);
    if (template.status === 'DISABLED') return metaError(132016, `template ${template.name} is disabled`);
    if (template.status !== 'APPROVED')
      return metaError(132001, `template name (${payload.name}) is not approved in ${payload.language.code}`);

    const sent = payload.components ?? [];
    const header = template.components.find((c) => c.type === 'HEADER');
    const body = template.components.find((c) => c.type === 'BODY');
    const buttons = template.components.find((c) => c.type === 'BUTTONS');

    const headerError = this.checkHeader(
      template,
      header,
      sent.filter((c) => c.type === 'header'),
    );
    if (headerError) return headerError;
    const bodyError = this.checkText(
      template,
      'body',
      body?.type === 'BODY' ? body.text : undefined,
      sent.filter((c) => c.type === 'body').flatMap((c) => c.parameters),
    );
    if (bodyError) return bodyError;
    return this.checkButtons(
      buttons,
      sent.filter((c) => c.type === 'button'),
    );
  }

  private checkHeader(
    template: SandboxTemplate,
    header: Component | undefined,
    sent: NonNullable<MetaTemplatePayload['components']>,
  ): MetaErrorReply | undefined {
    const parameters = sent.flatMap((c) => c.parameters);
    if (header?.type !== 'HEADER') {
      return parameters.length > 0
        ? metaError(
            132000,
            `header: template ${template.name} has no header, but ${parameters.length} parameter(s) were given`,
          )
        : undefined;
    }
    if (header.format === 'TEXT') return this.checkText(template, 'header', header.text, parameters);
    const wanted = header.format.toLowerCase();
    if (parameters.length !== 1)
      return metaError(132000, `header: expected 1 ${wanted} parameter, got ${parameters.length}`);
    if (parameters[0]?.type !== wanted)
      return metaError(132012, `header: expected a ${wanted} parameter, got ${parameters[0]?.type}`);
    return undefined;
  }

  private checkText(
    template: SandboxTemplate,
    where: 'header' | 'body',
    text: string | undefined,
    parameters: readonly { type: string; parameter_name?: string | undefined }[],
  ): MetaErrorReply | undefined {
    const placeholders = [
      ...new Set([...(text ?? '').matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1])),
    ];
    if (parameters.length !== placeholders.length) {
      return metaError(
        132000,
        `${where}: number of localizable_params (${parameters.length}) does not match the expected number of params (${placeholders.length})`,
      );
    }
    const names = parameters.map((p) => p.parameter_name);
    if (template.parameter_format === 'NAMED') {
      const missing = placeholders.filter((name) => !names.includes(name));
      if (missing.length > 0)
        return metaError(
          132012,
          `${where}: named parameter(s) ${missing.join(', ')} missing (template uses NAMED parameters)`,
        );
    } else if (names.some((n) => n !== undefined)) {
      return metaError(132012, `${where}: parameter_name given, but the template uses POSITIONAL parameters`);
    }
    return undefined;
  }

  private checkButtons(
    buttons: Component | undefined,
    sent: NonNullable<MetaTemplatePayload['components']>,
  ): MetaErrorReply | undefined {
    const defined = buttons?.type === 'BUTTONS' ? buttons.buttons : [];
    const subTypes: Readonly<Record<string, string>> = {
      QUICK_REPLY: 'quick_reply',
      URL: 'url',
      COPY_CODE: 'copy_code',
    };
    for (const component of sent) {
      if (component.index === undefined || component.sub_type === undefined)
        return metaError(131008, 'button components need sub_type and index');
      const index = Number(component.index);
      const button = defined[index];
      if (!button) return metaError(131009, `button index ${index} does not exist in the template`);
      if (subTypes[button.type] !== component.sub_type)
        return metaError(131009, `button ${index} is ${button.type}, not ${component.sub_type}`);
      const expected =
        component.sub_type === 'quick_reply'
          ? 'payload'
          : component.sub_type === 'url'
            ? 'text'
            : 'coupon_code';
      if (component.parameters.length !== 1 || component.parameters[0]?.type !== expected)
        return metaError(132000, `button ${index}: expected one ${expected} parameter`);
    }
    // A URL button with a dynamic suffix cannot be sent without its parameter.
    for (const [index, button] of defined.entries()) {
      if (
        button.type === 'URL' &&
        button.url.includes('{{1}}') &&
        !sent.some((c) => Number(c.index) === index)
      )
        return metaError(132000, `button ${index}: the URL needs its {{1}} parameter`);
    }
    return undefined;
  }
}
