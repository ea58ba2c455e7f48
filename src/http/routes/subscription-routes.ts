import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EventPublisher } from '../../app/events/event-publisher.js';
import { HeraldError } from '../../domain/errors.js';
import { HERALD_EVENT_TYPES } from '../../domain/herald-event.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { SecretBox } from '../../ports/secret-box.js';
import type { Subscription, SubscriptionStore } from '../../ports/subscription-store.js';
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

export interface SubscriptionRoutesDeps {
  readonly subscriptions: SubscriptionStore;
  readonly secrets: SecretBox;
  readonly events: EventPublisher;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  /** Refuses a URL Herald may not call (HERALD_OUTBOUND_DESTINATIONS). */
  readonly checkDestination?: (url: string, field: string) => void;
}

const subscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(HERALD_EVENT_TYPES)),
    createdAt: timestamp,
  })
  .meta({ id: 'Subscription' });

export function subscriptionRoutes(deps: SubscriptionRoutesDeps): RouteModule {
  const toJson = (s: Subscription) => ({
    id: s.id,
    url: s.url,
    events: [...s.events],
    createdAt: toIso(s.createdAt),
  });
  return (app) => {
    app.addHook('onRequest', requireAppAccess);
    app.post(
      '/v1/apps/:appId/subscriptions',
      {
        schema: {
          tags: ['events'],
          summary: "Receive Herald's events at a URL",
          description:
            'Herald POSTs each event as JSON with `herald-event-id`, `herald-event-type` and `herald-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; it retries with backoff until a 2xx (at least once: deduplicate on the event id). The secret is returned once.',
          security,
          params: appIdParams,
          body: z.strictObject({
            url: z.url({ protocol: /^https?$/ }).max(2000),
            events: z.array(z.enum(HERALD_EVENT_TYPES)).min(1),
            secret: z.string().min(16).max(256).optional().describe('Generated when left out.'),
          }),
          response: {
            201: subscriptionSchema.extend({ secret: z.string() }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        deps.checkDestination?.(request.body.url, 'url');
        const secret = request.body.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
        const subscription: Subscription = {
          id: deps.ids.next(),
          appId: request.params.appId,
          url: request.body.url,
          events: [...new Set(request.body.events)],
          createdAt: deps.clock.now(),
        };
        await deps.subscriptions.create(subscription, deps.secrets.seal(secret));
        deps.events.invalidate(request.params.appId);
        reply.code(201);
        return { ...toJson(subscription), secret };
      },
    );
    app.get(
      '/v1/apps/:appId/subscriptions',
      {
        schema: {
          tags: ['events'],
          summary: 'List subscriptions (without secrets)',
          security,
          params: appIdParams,
          querystring: z.strictObject(paginationQuery),
          response: { 200: pageOf(subscriptionSchema), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        pageOfAll(await deps.subscriptions.list(request.params.appId), request.query, toJson),
    );
    app.delete(
      '/v1/apps/:appId/subscriptions/:subscriptionId',
      {
        schema: {
          tags: ['events'],
          summary: 'Delete a subscription',
          security,
          params: appIdParams.extend({ subscriptionId: z.string().min(1).max(64) }),
          response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        if (!(await deps.subscriptions.delete(request.params.appId, request.params.subscriptionId))) {
          throw new HeraldError(
            'HERALD_NOT_FOUND',
            `subscription ${request.params.subscriptionId} does not exist`,
            { field: 'subscriptionId' },
          );
        }
        deps.events.invalidate(request.params.appId);
        reply.code(204);
        return null;
      },
    );
  };
}
