import type { ChannelType } from '../../domain/channel-type.js';
import { HeraldError } from '../../domain/errors.js';
import type { MessageContent } from '../../domain/message-content.js';
import type { VariableMapping } from '../../domain/template.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import type { TemplateStore } from '../../ports/template-store.js';
import type { ChannelDirectory } from '../channels/channel-directory.js';
import { canonicalAddress } from '../delivery/recipient-address.js';
import { compileTemplateMessage } from './message-builder.js';
import { templateNotFound } from './save-template.js';

export interface PreviewDeps {
  readonly templates: TemplateStore;
  readonly endpoints: Pick<EndpointStore, 'get'>;
  readonly directory: Pick<ChannelDirectory, 'resolve' | 'adapterFor'>;
}

export interface PreviewRequest {
  readonly appId: string;
  readonly templateId: string;
  readonly version?: number;
  /** Fill the variables from this endpoint (and send to its address). */
  readonly endpointId?: string;
  /** Values by variable name; they win over the endpoint's. */
  readonly variables?: Readonly<Record<string, string>>;
  /** WhatsApp: how a campaign would map the variables to endpoint fields. */
  readonly mapping?: Readonly<Record<string, VariableMapping>>;
  readonly language?: string;
  readonly channelId?: string;
  /** Text templates: which kind of channel to preview for (SMS, LINE, WHATSAPP). */
  readonly channelType?: ChannelType;
  /** The recipient shown in the payload; the endpoint's address, or an example one. */
  readonly to?: string;
}

export interface PreviewResult {
  readonly channelId: string;
  readonly provider: string;
  readonly operation: string;
  readonly payload: unknown;
  readonly content: MessageContent;
}

/** Addresses shown when no endpoint and no `to` is given: fictional, valid for their channel. */
const EXAMPLE_ADDRESS: Partial<Record<ChannelType, string>> = {
  WHATSAPP: '+16505550100',
  SMS: '+16505550100',
  LINE: 'U00000000000000000000000000000000',
  CUSTOM: 'example-endpoint',
};

/**
 * The exact provider request a template would produce for one endpoint (or for given values), built by the
 * channel's own adapter without sending anything. A variable without value or default is an error listing each
 * one (HERALD_TEMPLATE_VARIABLE_MISSING), exactly as a campaign would skip that endpoint.
 *
 * @example
 * const { payload } = await previewTemplate(deps, { appId, templateId, endpointId: 'e-1', mapping: { 'body.1': { field: 'User.UserAttributes.FirstName' } } });
 */
export async function previewTemplate(deps: PreviewDeps, request: PreviewRequest): Promise<PreviewResult> {
  const template = await deps.templates.get(request.appId, request.templateId, request.version);
  if (!template) throw templateNotFound(request.templateId, request.version);
  const endpoint =
    request.endpointId === undefined
      ? undefined
      : await deps.endpoints.get(request.appId, request.endpointId);
  if (request.endpointId !== undefined && !endpoint) {
    throw new HeraldError('HERALD_NOT_FOUND', `endpoint ${request.endpointId} does not exist`, {
      field: 'endpointId',
    });
  }
  const channelType: ChannelType =
    template.definition.kind === 'whatsapp'
      ? 'WHATSAPP'
      : (request.channelType ??
        (request.channelId === undefined
          ? (endpoint?.channelType ?? 'SMS')
          : (await deps.directory.adapterFor(request.appId, request.channelId)).channel.channelType));
  const channel = await deps.directory.resolve(request.appId, channelType, request.channelId);
  const { adapter } = await deps.directory.adapterFor(request.appId, channel.id);

  const builder = compileTemplateMessage(template, {
    ...(request.language === undefined ? {} : { language: request.language }),
    ...(request.mapping === undefined ? {} : { variables: request.mapping }),
    requireMappings: false,
  });
  const built = builder.build({
    ...(endpoint ? { endpoint } : {}),
    ...(request.variables ? { values: request.variables } : {}),
  });
  if (!built.ok) {
    throw new HeraldError(
      'HERALD_TEMPLATE_VARIABLE_MISSING',
      `no value and no default for ${built.missing.join(', ')}`,
      {
        field: `variables.${built.missing[0]}`,
        details: built.missing.map((name) => ({
          field: `variables.${name}`,
          reason: 'no value and no default',
        })),
      },
    );
  }
  const to = canonicalAddress(
    channel.channelType,
    request.to ?? endpoint?.address ?? EXAMPLE_ADDRESS[channel.channelType] ?? 'example',
    'to',
  );
  if (!adapter.preview) {
    throw new HeraldError(
      'HERALD_CHANNEL_UNSUPPORTED_CONTENT',
      `channel ${channel.id} cannot preview messages`,
      {
        field: 'channelId',
      },
    );
  }
  const preview = adapter.preview({
    messageId: 'preview',
    to,
    content: built.content,
    attempt: 1,
    ...(endpoint ? { endpoint } : {}),
  });
  if (!preview.ok) {
    throw new HeraldError(
      'HERALD_CHANNEL_UNSUPPORTED_CONTENT',
      `channel ${channel.id} (${channel.provider}): ${preview.failure.message}`,
      { field: 'channelId' },
    );
  }
  return {
    channelId: channel.id,
    provider: channel.provider,
    operation: preview.operation,
    payload: preview.payload,
    content: built.content,
  };
}
