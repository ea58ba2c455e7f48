import type { Campaign, CampaignMessage } from '../../domain/campaign.js';
import type { Channel } from '../../domain/channel.js';
import type { ChannelType } from '../../domain/channel-type.js';
import { HeraldError } from '../../domain/errors.js';
import { managedChannelId } from '../../domain/managed-channel.js';
import type { ChannelProvider } from '../../ports/channel-provider.js';
import type { TemplateStore } from '../../ports/template-store.js';
import type { ChannelDirectory } from '../channels/channel-directory.js';
import {
  compileCustomMessage,
  compileInlineMessage,
  compileTemplateMessage,
  type MessageBuilder,
} from '../templates/message-builder.js';

/** One treatment ready to fan out: its channel, resolved once per run, and its message builder. */
export interface CompiledTreatment {
  readonly id: string;
  readonly name?: string;
  readonly sizePercent: number;
  readonly channel: Channel;
  readonly provider: ChannelProvider;
  readonly builder: MessageBuilder;
  /** The endpoints this treatment reaches: its channel type, or a custom delivery's endpoint types. */
  readonly endpointTypes: ReadonlySet<ChannelType>;
  /** Free-form WhatsApp: only endpoints whose 24-hour window is open get it. */
  readonly needsWindow: boolean;
}

export interface CompileDeps {
  readonly templates: Pick<TemplateStore, 'get'>;
  readonly directory: Pick<ChannelDirectory, 'resolve' | 'provider'>;
}

/**
 * Resolves every treatment's template and channel and compiles its message. Throws (4xx) what makes the campaign
 * unable to run: a missing template or version, unmapped WhatsApp variables, no channel of the type, content the
 * channel cannot carry.
 *
 * @example
 * const treatments = await compileCampaign(deps, campaign);
 */
export async function compileCampaign(deps: CompileDeps, campaign: Campaign): Promise<CompiledTreatment[]> {
  const out: CompiledTreatment[] = [];
  for (const [index, treatment] of campaign.treatments.entries()) {
    const field = campaign.treatments.length === 1 ? 'message' : `treatments[${index}].message`;
    const { builder, channelId } = await compileMessage(
      deps,
      campaign,
      treatment.id,
      treatment.message,
      field,
    );
    const channelType = treatment.message.channelType;
    // A managed channel is the campaign's own: only its campaign may resolve it.
    const managed = channelId !== undefined;
    const channel = await within(
      (at) => (managed ? managedField(field, treatment.message) : `${field}.${at}`),
      () =>
        deps.directory.resolve(campaign.appId, channelType, channelId ?? treatment.message.channelId, {
          managed,
        }),
    );
    const provider = deps.directory.provider(channel.provider);
    if (provider.contentKinds && !provider.contentKinds.includes(builder.contentKind)) {
      throw new HeraldError(
        'HERALD_CHANNEL_UNSUPPORTED_CONTENT',
        `${field}: channel ${channel.id} (${channel.provider}) cannot carry ${builder.contentKind} messages; it carries ${provider.contentKinds.join(', ')}`,
        { field },
      );
    }
    out.push({
      id: treatment.id,
      ...(treatment.name === undefined ? {} : { name: treatment.name }),
      sizePercent: treatment.sizePercent,
      channel,
      provider,
      builder,
      endpointTypes: new Set(
        treatment.message.channelType === 'CUSTOM' ? treatment.message.endpointTypes : [channelType],
      ),
      needsWindow:
        (provider.customerServiceWindow ?? channel.channelType === 'WHATSAPP') &&
        builder.contentKind !== 'template',
    });
  }
  return out;
}

async function compileMessage(
  deps: CompileDeps,
  campaign: Campaign,
  treatmentId: string,
  message: CampaignMessage,
  field: string,
): Promise<{ builder: MessageBuilder; channelId?: string }> {
  if (message.channelType === 'CUSTOM') {
    const managed = message.deliveryUri !== undefined || message.functionName !== undefined;
    return {
      builder: compileCustomMessage(message.data),
      ...(managed ? { channelId: managedChannelId(campaign.id, treatmentId) } : {}),
    };
  }
  if ('templateId' in message) {
    const template = await deps.templates.get(campaign.appId, message.templateId, message.templateVersion);
    if (!template) {
      throw new HeraldError(
        'HERALD_VALIDATION_FAILED',
        message.templateVersion === undefined
          ? `${field}.templateId: template ${message.templateId} does not exist`
          : `${field}.templateVersion: template ${message.templateId} has no version ${message.templateVersion}`,
        { field: `${field}.${message.templateVersion === undefined ? 'templateId' : 'templateVersion'}` },
      );
    }
    if (template.definition.kind === 'whatsapp' && message.channelType !== 'WHATSAPP') {
      throw new HeraldError(
        'HERALD_VALIDATION_FAILED',
        `${field}.channelType: ${template.name} is a WhatsApp template`,
        { field: `${field}.channelType` },
      );
    }
    if (template.definition.kind === 'whatsapp') {
      // A synced status says what WhatsApp will do with the template: with no approved language every message
      // fails (132015 for a paused one) while the run reports success. Hand-described templates have no status.
      const { languages } = template.definition;
      const chosen = languages.filter(
        (l) => message.language === undefined || l.language === message.language,
      );
      const considered = chosen.length > 0 ? chosen : languages;
      if (
        considered.length > 0 &&
        considered.every((l) => l.status !== undefined && l.status !== 'APPROVED')
      ) {
        const statuses = [...new Set(considered.map((l) => l.status))].join(', ');
        throw new HeraldError(
          'HERALD_TEMPLATE_NOT_APPROVED',
          `${field}.templateId: ${template.name} is ${statuses} at WhatsApp (sync templates again once it is approved)`,
          { field: `${field}.templateId` },
        );
      }
    }
    return {
      builder: compileTemplateMessage(
        template,
        {
          ...(message.language === undefined ? {} : { language: message.language }),
          ...(message.fallbackLanguage === undefined ? {} : { fallbackLanguage: message.fallbackLanguage }),
          ...(message.variables === undefined ? {} : { variables: message.variables }),
          ...(message.defaults === undefined ? {} : { defaults: message.defaults }),
        },
        field,
      ),
    };
  }
  return {
    builder: compileInlineMessage(
      {
        ...(message.text === undefined ? {} : { text: message.text }),
        ...(message.media === undefined ? {} : { media: message.media }),
      },
      message.defaults ?? {},
      field,
    ),
  };
}

/**
 * Where a managed channel comes from: a message names no channel, its `deliveryUri` or `functionName` made it (a
 * run whose channel was deleted since reports that field, not a `channelId` the message does not have).
 */
function managedField(field: string, message: CampaignMessage): string {
  return message.channelType === 'CUSTOM' && message.deliveryUri === undefined
    ? `${field}.functionName`
    : `${field}.deliveryUri`;
}

/**
 * Runs `resolve`, giving the field of a 4xx it throws the treatment's path: the directory names `channelId` or
 * `channelType`, the caller needs `treatments[1].message.channelId`, as template errors give.
 */
async function within<T>(path: (field: string) => string, resolve: () => Promise<T>): Promise<T> {
  try {
    return await resolve();
  } catch (error) {
    if (!(error instanceof HeraldError) || error.field === undefined || error.status >= 500) throw error;
    const at = path(error.field);
    throw new HeraldError(error.code, `${at}: ${error.message}`, {
      field: at,
      ...(error.details ? { details: error.details } : {}),
    });
  }
}
