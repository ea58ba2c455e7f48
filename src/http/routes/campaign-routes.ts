import { z } from 'zod';
import { activityReport } from '../../app/campaigns/activity-report.js';
import {
  type CampaignDeps,
  campaignNotFound,
  cancelCampaign,
  createCampaign,
  deleteCampaign,
  pauseCampaign,
  resumeCampaign,
  updateCampaign,
} from '../../app/campaigns/save-campaign.js';
import type { Campaign, CampaignActivity } from '../../domain/campaign.js';
import { decodeCursor, encodeCursor } from '../../domain/cursor.js';
import { HeraldError } from '../../domain/errors.js';
import type { CampaignMetrics } from '../../ports/campaign-metrics.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { afterIdFrom, pageById } from '../pagination.js';
import {
  activityJson,
  campaignBody,
  campaignJson,
  toActivityJson,
  toCampaignInput,
  toCampaignJson,
} from '../schemas/campaign.js';
import { appIdParams, errorResponses, pageOf, paginationQuery, security } from '../schemas/common.js';

export interface CampaignRoutesDeps extends CampaignDeps {
  readonly metrics: Pick<CampaignMetrics, 'countByActivity'>;
}

const tags = ['campaigns'];
const campaignParams = appIdParams.extend({ campaignId: z.string().min(1).max(64) });

/** Campaigns: CRUD, pause/resume/cancel, and their runs (activities) with live counts. */
export function campaignRoutes(deps: CampaignRoutesDeps): RouteModule {
  return (app) => {
    app.post(
      '/v1/apps/:appId/campaigns',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Create a campaign',
          description:
            'A segment, a message (or 1-5 treatments with `sizePercent`), a schedule (IMMEDIATE or a time; ONCE, HOURLY, DAILY, WEEKLY, MONTHLY or EVENT; local time; quiet time), limits and a holdout. Everything a run needs is checked now: the segment, templates and their variable mappings, channels, a custom receiver (HEAD check) or function.',
          security,
          params: appIdParams,
          body: campaignBody,
          response: { 201: campaignJson, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const { appId } = request.params;
        const campaign = await createCampaign(deps, appId, toCampaignInput(request.body));
        reply.code(201);
        return toCampaignJson(campaign);
      },
    );

    app.get(
      '/v1/apps/:appId/campaigns',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'List campaigns',
          security,
          params: appIdParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(campaignJson), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId } = request.params;
        const { limit, cursor } = request.query;
        const rows = await deps.campaigns.list(appId, { limit: limit + 1, ...afterIdFrom(cursor) });
        return pageById(rows, limit, toCampaignJson);
      },
    );

    app.get(
      '/v1/apps/:appId/campaigns/:campaignId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Get a campaign',
          security,
          params: campaignParams,
          response: { 200: campaignJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, campaignId } = request.params;
        const campaign = await deps.campaigns.get(appId, campaignId);
        if (!campaign) throw campaignNotFound(campaignId);
        return toCampaignJson(campaign);
      },
    );

    app.put(
      '/v1/apps/:appId/campaigns/:campaignId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Replace a campaign’s definition',
          description:
            'The whole definition, as for create; the version goes up and the next run is planned from the new schedule. Refused (409) while a run is still being fanned out, and for cancelled or completed campaigns.',
          security,
          params: campaignParams,
          body: campaignBody,
          response: { 200: campaignJson, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const { appId, campaignId } = request.params;
        const campaign = await updateCampaign(deps, appId, campaignId, toCampaignInput(request.body));
        return toCampaignJson(campaign);
      },
    );

    app.delete(
      '/v1/apps/:appId/campaigns/:campaignId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Delete a campaign',
          description:
            'Cancels what it has not sent, then deletes it and its runs. Its messages stay in the ledger.',
          security,
          params: campaignParams,
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { appId, campaignId } = request.params;
        await deleteCampaign(deps, appId, campaignId);
        reply.code(204);
        return null;
      },
    );

    const actions = {
      pause: {
        run: pauseCampaign,
        summary: 'Pause a campaign',
        description: 'No new runs start; the unsent messages of running runs wait, keeping their place.',
      },
      resume: {
        run: resumeCampaign,
        summary: 'Resume a paused campaign',
        description: 'Paused runs go on (their send times move on by the pause); runs due meanwhile start.',
      },
      cancel: {
        run: cancelCampaign,
        summary: 'Cancel a campaign',
        description: 'No more runs; unsent messages are cancelled (those being sent finish).',
      },
    } as const;
    for (const [action, spec] of Object.entries(actions)) {
      app.post(
        `/v1/apps/:appId/campaigns/:campaignId/${action}`,
        {
          onRequest: requireAppAccess,
          schema: {
            tags,
            summary: spec.summary,
            description: `${spec.description} Answers 409 HERALD_CAMPAIGN_STATE when the campaign is in a state that does not allow it.`,
            security,
            params: campaignParams,
            response: { 200: campaignJson, ...errorResponses(400, 401, 403, 404, 409) },
          },
        },
        async (request) => {
          const { appId, campaignId } = request.params;
          return toCampaignJson(await spec.run(deps, appId, campaignId));
        },
      );
    }

    app.get(
      '/v1/apps/:appId/campaigns/:campaignId/activities',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'List a campaign’s runs with their numbers, newest first',
          description:
            'Each run (scheduled, or triggered by events): state, start and end, endpoints gone through, holdout, skipped by reason, and the ledger’s queued, sent, delivered, read and failed (by code), in total and per treatment.',
          security,
          params: campaignParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(activityJson), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, campaignId } = request.params;
        const campaign = await deps.campaigns.get(appId, campaignId);
        if (!campaign) throw campaignNotFound(campaignId);
        const { limit, cursor } = request.query;
        const beforeId = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
        const rows = await deps.campaigns.listActivities(appId, campaignId, {
          limit: limit + 1,
          ...(beforeId === undefined ? {} : { beforeId }),
        });
        const items = rows.slice(0, limit);
        const counts = await deps.metrics.countByActivity(
          campaignId,
          items.map((a) => a.id),
          { byTreatment: campaign.treatments.length > 1 },
        );
        const last = items.at(-1);
        return {
          items: items.map((a) => toActivityJson(activityReport(a, counts, treatmentIdsOf(campaign, a)))),
          nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null,
        };
      },
    );

    app.get(
      '/v1/apps/:appId/campaigns/:campaignId/activities/:activityId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags,
          summary: 'Get one run with its numbers',
          security,
          params: campaignParams.extend({ activityId: z.string().min(1).max(64) }),
          response: { 200: activityJson, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { appId, campaignId, activityId } = request.params;
        const activity = await deps.campaigns.getActivity(appId, activityId);
        if (!activity || activity.campaignId !== campaignId) {
          throw new HeraldError('HERALD_NOT_FOUND', `campaign ${campaignId} has no activity ${activityId}`, {
            field: 'activityId',
          });
        }
        const campaign = await deps.campaigns.get(appId, campaignId);
        const counts = await deps.metrics.countByActivity(campaignId, [activityId], {
          byTreatment: (campaign?.treatments.length ?? 1) > 1,
        });
        return toActivityJson(
          activityReport(activity, counts, campaign ? treatmentIdsOf(campaign, activity) : []),
        );
      },
    );
  };
}

/** The treatments a run was made with, when the campaign has not been changed since. */
function treatmentIdsOf(campaign: Campaign, activity: CampaignActivity): string[] {
  return campaign.version === activity.campaignVersion ? campaign.treatments.map((t) => t.id) : [];
}
