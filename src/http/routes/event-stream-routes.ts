import { z } from 'zod';
import type { EventBus } from '../../ports/event-bus.js';
import { presentedCredential, requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { appIdParams, errorResponses, security } from '../schemas/common.js';
import { mediaResponse } from '../schemas/media-response.js';

/**
 * `GET /v1/apps/{appId}/events/stream`: the app's events as server-sent events (`event: <type>`, `id: <event id>`,
 * `data: <json>`), for the console. Live only; the durable path is subscriptions.
 */
export function eventStreamRoutes(deps: {
  bus: EventBus;
  heartbeatMs?: number;
  /** How often an open stream checks that its credential still reaches the app (a key revoked, an app deleted). */
  recheckMs?: number;
}): RouteModule {
  return (app) => {
    // The streams open now. A stopping server ends them first: each would otherwise keep its connection, and the
    // shutdown, until the force-close 5 s later.
    const open = new Set<() => void>();
    app.addHook('preClose', (done) => {
      for (const end of [...open]) end();
      done();
    });
    app.get(
      '/v1/apps/:appId/events/stream',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['events'],
          summary: "The app's events, live, as server-sent events",
          security,
          params: appIdParams,
          response: {
            200: mediaResponse(
              'text/event-stream',
              z
                .string()
                .describe(
                  'Server-sent events, one per Herald event: `id: <event id>`, `event: <type>` (message.status, message.inbound...), `data: <the event as JSON>`; a `: keep-alive` comment every 15 s. An `error` event (access revoked) ends the stream.',
                ),
            ),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        reply.hijack();
        // Open for as long as its client stays: not a request a shutdown waits for.
        reply.heraldLeaveInFlight?.();
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
        // Access was checked when the stream opened; a key revoked since (or its app deleted) must not keep
        // receiving the app's events, inbound messages among them. The authenticator's cache makes this cheap.
        const { appId } = request.params;
        const credential = presentedCredential(request);
        const authenticator = request.server.heraldAuthenticator;
        let recheck: NodeJS.Timeout | undefined;
        const close = () => {
          clearInterval(heartbeat);
          clearInterval(recheck);
          unsubscribe();
          open.delete(end);
        };
        const end = () => {
          raw.end();
          close();
        };
        open.add(end);
        recheck = setInterval(async () => {
          try {
            const principal = credential ? await authenticator.authenticate(credential) : undefined;
            const allowed =
              principal !== undefined &&
              (principal.kind === 'admin' ? await authenticator.appExists(appId) : principal.appId === appId);
            if (!allowed) {
              raw.write(
                'event: error\ndata: {"code":"HERALD_UNAUTHENTICATED","message":"access was revoked"}\n\n',
              );
              raw.end();
              close();
            }
          } catch (error) {
            request.log.warn({ err: error }, 'could not check an event stream’s access again');
          }
        }, deps.recheckMs ?? 5_000);
        request.raw.on('close', close);
        raw.on('close', close);
      },
    );
  };
}
