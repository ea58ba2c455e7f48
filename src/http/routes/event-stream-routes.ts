import type { EventBus } from '../../ports/event-bus.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { appIdParams, errorResponses, security } from '../schemas/common.js';

/**
 * `GET /v1/apps/{appId}/events/stream`: the app's events as server-sent events (`event: <type>`, `id: <event id>`,
 * `data: <json>`), for the console. Live only; the durable path is subscriptions.
 */
export function eventStreamRoutes(deps: { bus: EventBus; heartbeatMs?: number }): RouteModule {
  return (app) => {
    app.get(
      '/v1/apps/:appId/events/stream',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['events'],
          summary: "The app's events, live, as server-sent events",
          security,
          params: appIdParams,
          response: errorResponses(401, 403),
        },
      },
      async (request, reply) => {
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        raw.write(': connected\n\n');
        const unsubscribe = deps.bus.subscribe(request.params.appId, (event) => {
          raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        });
        const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
        const close = () => {
          clearInterval(heartbeat);
          unsubscribe();
        };
        request.raw.on('close', close);
        raw.on('close', close);
      },
    );
  };
}
