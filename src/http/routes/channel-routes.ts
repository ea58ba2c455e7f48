import { z } from 'zod';
import type { ChannelDirectory } from '../../app/channels/channel-directory.js';
import { type ConfigureChannelDeps, configureChannel } from '../../app/channels/configure-channel.js';
import { webhookUrl } from '../../app/channels/webhook-url.js';
import { CHANNEL_TYPES, PROVIDER_KINDS, type ProviderKind } from '../../domain/channel-type.js';
import { HeraldError } from '../../domain/errors.js';
import type { ChannelProvider } from '../../ports/channel-provider.js';
import type { StoredChannel } from '../../ports/channel-store.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { pageOfAll } from '../pagination.js';
import {
  appIdParams,
  errorResponses,
  pageOf,
  paginationQuery,
  security,
  timestamp,
  toIso,
} from '../schemas/common.js';

export interface ChannelRoutesDeps extends ConfigureChannelDeps {
  readonly directory: ChannelDirectory;
  readonly providers: Partial<Record<ProviderKind, ChannelProvider>>;
  readonly publicUrl: () => string;
}

const limitsSchema = z.strictObject({
  messagesPerSecond: z
    .number()
    .positive()
    .max(100_000)
    .optional()
    .describe("The sender's rate; defaults per channel type (WhatsApp 80, LINE 1,000, SMS 20)."),
});

const channelSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    provider: z.enum(PROVIDER_KINDS),
    channelType: z.enum(CHANNEL_TYPES),
    sender: z.record(z.string(), z.unknown()),
    options: z.record(z.string(), z.unknown()),
    limits: z.object({ messagesPerSecond: z.number() }),
    senderKey: z.string(),
    webhookUrl: z
      .string()
      .nullable()
      .describe(
        'Configure this URL at the provider (or its SNS subscription); null for custom channels, which have no webhooks.',
      ),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'Channel',
    description: 'A channel as stored; credentials are write-only and never returned.',
  });

const channelParams = appIdParams.extend({
  channelId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)'),
});

/** One body shape per provider, so the OpenAPI document shows each provider's sender, credentials and options. */
function channelBody(providers: Partial<Record<ProviderKind, ChannelProvider>>) {
  const variants = Object.values(providers).map((p) =>
    z.strictObject({
      provider: z.literal(p.kind),
      sender: p.senderSchema,
      credentials: p.credentialsSchema
        .optional()
        .describe('Write-only; leave out to keep the stored credentials.'),
      options: p.optionsSchema.optional(),
      limits: limitsSchema.optional(),
      validate: z
        .boolean()
        .optional()
        .describe('Check the credentials with the provider before saving (default true).'),
    }),
  );
  const [first, ...rest] = variants;
  if (!first) return z.strictObject({ provider: z.enum(PROVIDER_KINDS) });
  return rest.length === 0 ? first : z.discriminatedUnion('provider', [first, ...rest]);
}

export function channelRoutes(deps: ChannelRoutesDeps): RouteModule {
  const toJson = (channel: StoredChannel) => ({
    id: channel.id,
    appId: channel.appId,
    provider: channel.provider,
    channelType: channel.channelType,
    sender: channel.sender,
    options: channel.options,
    limits: channel.limits,
    senderKey: channel.senderKey,
    webhookUrl:
      deps.providers[channel.provider]?.webhooks === false
        ? null
        : webhookUrl(deps.publicUrl(), channel.appId, channel.id),
    createdAt: toIso(channel.createdAt),
    updatedAt: toIso(channel.updatedAt),
  });

  return (app) => {
    app.addHook('onRequest', requireAppAccess);

    app.put(
      '/v1/apps/:appId/channels/:channelId',
      {
        schema: {
          tags: ['channels'],
          summary: 'Create or replace a channel (provider, sender, credentials, options, limits)',
          description:
            'Credentials are encrypted with HERALD_SECRET_KEY, never returned and never logged. Point a channel at a sandbox by setting `options.baseUrl` (or `options.endpoint` for AWS).',
          security,
          params: channelParams,
          body: channelBody(deps.providers),
          response: { 200: channelSchema, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        const body = request.body as {
          provider: ProviderKind;
          sender?: unknown;
          credentials?: unknown;
          options?: unknown;
          limits?: { messagesPerSecond?: number };
          validate?: boolean;
        };
        const channel = await configureChannel(deps, {
          appId: request.params.appId,
          channelId: request.params.channelId,
          provider: body.provider,
          sender: body.sender,
          ...(body.credentials === undefined ? {} : { credentials: body.credentials }),
          ...(body.options === undefined ? {} : { options: body.options }),
          ...(body.limits === undefined ? {} : { limits: body.limits }),
          ...(body.validate === undefined ? {} : { validate: body.validate }),
        });
        return toJson(channel);
      },
    );

    app.get(
      '/v1/apps/:appId/channels',
      {
        schema: {
          tags: ['channels'],
          summary: "List an app's channels (without credentials)",
          security,
          params: appIdParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(channelSchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => pageOfAll(await deps.channels.list(request.params.appId), request.query, toJson),
    );

    app.get(
      '/v1/apps/:appId/channels/:channelId',
      {
        schema: {
          tags: ['channels'],
          summary: 'Get a channel (without credentials)',
          security,
          params: channelParams,
          response: { 200: channelSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const channel = await deps.channels.get(request.params.appId, request.params.channelId);
        if (!channel)
          throw new HeraldError('HERALD_NOT_FOUND', `channel ${request.params.channelId} does not exist`, {
            field: 'channelId',
          });
        return toJson(channel);
      },
    );

    app.delete(
      '/v1/apps/:appId/channels/:channelId',
      {
        schema: {
          tags: ['channels'],
          summary: 'Delete a channel',
          security,
          params: channelParams,
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const deleted = await deps.channels.delete(request.params.appId, request.params.channelId);
        if (!deleted)
          throw new HeraldError('HERALD_NOT_FOUND', `channel ${request.params.channelId} does not exist`, {
            field: 'channelId',
          });
        deps.directory.invalidate(request.params.appId, request.params.channelId);
        reply.code(204);
        return null;
      },
    );
  };
}
