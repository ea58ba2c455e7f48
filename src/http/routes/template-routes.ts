import { z } from 'zod';
import type { ChannelDirectory } from '../../app/channels/channel-directory.js';
import { previewTemplate } from '../../app/templates/preview-template.js';
import {
  createTemplate,
  deleteTemplate,
  type TemplateDeps,
  templateNotFound,
  updateTemplate,
} from '../../app/templates/save-template.js';
import { syncTemplates } from '../../app/templates/sync-templates.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { afterIdFrom, pageById } from '../pagination.js';
import { appIdParams, errorResponses, pageOf, paginationQuery, security } from '../schemas/common.js';
import {
  createTemplateBody,
  previewBody,
  previewJson,
  templateJson,
  toMappings,
  toTemplateDefinition,
  toTemplateJson,
  updateTemplateBody,
} from '../schemas/template.js';

export interface TemplateRoutesDeps extends TemplateDeps {
  readonly endpoints: Pick<EndpointStore, 'get'>;
  readonly directory: Pick<ChannelDirectory, 'resolve' | 'adapterFor'>;
}

const tags = ['templates'];
const templateParams = appIdParams.extend({ templateId: z.string().min(1).max(64) });
const versionQuery = z.coerce
  .number()
  .int()
  .positive()
  .optional()
  .describe('A version; the latest when left out.');

/** Templates: versioned CRUD, their variables, previews of the provider payload, and WhatsApp template sync. */
export function templateRoutes(deps: TemplateRoutesDeps): RouteModule {
  return (app) => {
    app.post(
      '/v1/apps/:appId/templates',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Create a template',
          description:
            '`kind: whatsapp`: a WhatsApp template (name, category, parameter format, one entry per language with header, body, footer and buttons) as approved at the provider; Herald sends it by name and does not submit it for approval. `kind: message`: text, or media with a caption, for SMS, LINE and WhatsApp inside the 24-hour window, with {{...}} placeholders naming endpoint fields and `defaults`. The answer lists the variables each message needs.',
          security,
          params: appIdParams,
          body: createTemplateBody,
          response: { 201: templateJson, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { appId } = request.params;
        const template = await createTemplate(deps, appId, {
          name: request.body.name,
          definition: toTemplateDefinition(request.body),
        });
        reply.code(201);
        return toTemplateJson(template);
      },
    );

    app.get(
      '/v1/apps/:appId/templates',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'List templates (latest versions)',
          security,
          params: appIdParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(templateJson), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId } = request.params;
        const { limit, cursor } = request.query;
        const rows = await deps.templates.list(appId, { limit: limit + 1, ...afterIdFrom(cursor) });
        return pageById(rows, limit, toTemplateJson);
      },
    );

    app.get(
      '/v1/apps/:appId/templates/:templateId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Get a template (a version with ?version=)',
          security,
          params: templateParams,
          querystring: z.strictObject({ version: versionQuery }),
          response: { 200: templateJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, templateId } = request.params;
        const template = await deps.templates.get(appId, templateId, request.query.version);
        if (!template) throw templateNotFound(templateId, request.query.version);
        return toTemplateJson(template);
      },
    );

    app.get(
      '/v1/apps/:appId/templates/:templateId/versions',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: "List a template's versions, newest first",
          security,
          params: templateParams,
          response: {
            200: z.object({ items: z.array(templateJson) }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { appId, templateId } = request.params;
        const versions = await deps.templates.listVersions(appId, templateId);
        if (versions.length === 0) throw templateNotFound(templateId);
        return { items: versions.map(toTemplateJson) };
      },
    );

    app.put(
      '/v1/apps/:appId/templates/:templateId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Update a template: writes a new version',
          description:
            'The whole definition is replaced; the name is kept when left out; the kind cannot change. Campaigns that name no version use the new one from their next run.',
          security,
          params: templateParams,
          body: updateTemplateBody,
          response: { 200: templateJson, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { appId, templateId } = request.params;
        const template = await updateTemplate(deps, appId, templateId, {
          ...(request.body.name === undefined ? {} : { name: request.body.name }),
          definition: toTemplateDefinition(request.body),
        });
        return toTemplateJson(template);
      },
    );

    app.delete(
      '/v1/apps/:appId/templates/:templateId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Delete a template and all its versions',
          description: 'Refused (409) while a campaign that has not finished uses it.',
          security,
          params: templateParams,
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { appId, templateId } = request.params;
        await deleteTemplate(deps, appId, templateId);
        reply.code(204);
        return null;
      },
    );

    app.post(
      '/v1/apps/:appId/templates/sync',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: "Import a WhatsApp channel's templates from the provider",
          description:
            "Lists the message templates of the channel's WhatsApp Business Account (the channel needs `sender.wabaId`) and writes one Herald template per name, its translations as languages. A template already imported gets a new version only when it changed.",
          security,
          params: appIdParams,
          querystring: z.strictObject({ channelId: z.string().min(1).max(64) }),
          response: {
            200: z.object({
              created: z.array(templateJson),
              updated: z.array(templateJson),
              unchanged: z.array(templateJson),
              skipped: z.array(
                z.object({ name: z.string(), language: z.string().optional(), reason: z.string() }),
              ),
            }),
            ...errorResponses(400, 401, 403, 404, 422, 502),
          },
        },
      },
      async (request) => {
        const { appId } = request.params;
        const report = await syncTemplates(deps, appId, request.query.channelId);
        return {
          created: report.created.map(toTemplateJson),
          updated: report.updated.map(toTemplateJson),
          unchanged: report.unchanged.map(toTemplateJson),
          skipped: report.skipped.map((s) => ({
            name: s.name,
            ...(s.language === undefined ? {} : { language: s.language }),
            reason: s.reason,
          })),
        };
      },
    );

    app.post(
      '/v1/apps/:appId/templates/:templateId/preview',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Preview the exact provider payload',
          description:
            'Fills the template from an endpoint (`endpointId`, with `mapping` for WhatsApp variables) and/or from `variables`, and answers the request the channel would make, built by its own adapter; nothing is sent. A variable without value or default answers 422 HERALD_TEMPLATE_VARIABLE_MISSING listing each one: a campaign skips such an endpoint.',
          security,
          params: templateParams,
          body: previewBody,
          response: { 200: previewJson, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { appId, templateId } = request.params;
        const b = request.body;
        const result = await previewTemplate(deps, {
          appId,
          templateId,
          ...(b.version === undefined ? {} : { version: b.version }),
          ...(b.endpointId === undefined ? {} : { endpointId: b.endpointId }),
          ...(b.variables === undefined ? {} : { variables: b.variables }),
          ...(b.mapping === undefined ? {} : { mapping: toMappings(b.mapping) }),
          ...(b.language === undefined ? {} : { language: b.language }),
          ...(b.channelId === undefined ? {} : { channelId: b.channelId }),
          ...(b.channelType === undefined ? {} : { channelType: b.channelType }),
          ...(b.to === undefined ? {} : { to: b.to }),
        });
        return result;
      },
    );
  };
}
