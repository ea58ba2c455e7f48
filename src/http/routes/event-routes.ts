import { z } from 'zod';
import { type RecordEventsDeps, recordEvents } from '../../app/campaigns/record-events.js';
import { parseInstant } from '../../domain/instant.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { eventsBody } from '../schemas/campaign.js';
import { appIdParams, errorResponses, security } from '../schemas/common.js';

export interface EventRoutesDeps extends RecordEventsDeps {}

/** Endpoints' events (Pinpoint's PutEvents): activity for segments' recency, and EVENT campaigns' triggers. */
export function eventRoutes(deps: EventRoutesDeps): RouteModule {
  return (app) => {
    app.post(
      '/v1/apps/:appId/events',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['events'],
          summary: 'Record endpoints’ events',
          description:
            'Up to 100 events. Every endpoint named must exist, or nothing is recorded (400 HERALD_BATCH_INVALID with each index). Each endpoint’s last activity moves on (segments’ behavior recency), and every running EVENT campaign whose filter an event matches messages that endpoint, if it is in the campaign’s segment, at once.',
          security,
          params: appIdParams,
          body: eventsBody,
          response: {
            202: z.object({
              accepted: z.number().int(),
              triggered: z.array(
                z.object({
                  campaignId: z.string(),
                  activityId: z.string(),
                  endpoints: z.number().int().describe('Endpoints whose events matched.'),
                  queued: z
                    .number()
                    .int()
                    .describe('Messages queued (endpoints in the segment, not skipped).'),
                }),
              ),
            }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const { appId } = request.params;
        const now = deps.clock.now();
        const outcome = await recordEvents(
          deps,
          appId,
          request.body.map((e) => ({
            endpointId: e.endpointId,
            eventType: e.eventType,
            attributes: e.attributes,
            metrics: e.metrics,
            timestamp: e.timestamp === undefined ? now : (parseInstant(e.timestamp) ?? now),
          })),
        );
        reply.code(202);
        return { accepted: request.body.length, triggered: outcome.triggered };
      },
    );
  };
}
