import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { RouteModule } from '../herald-fastify.js';
import { mediaResponse } from '../schemas/media-response.js';

/** `GET /metrics` in Prometheus text format. */
export function metricsRoutes(deps: { registry: Registry }): RouteModule {
  return (app) => {
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary:
            'Prometheus metrics: queue depth per sender, sends, failures by code, webhook ingest and lag, held messages',
          response: {
            200: mediaResponse(
              deps.registry.contentType,
              z.string().describe('Prometheus text exposition format.'),
            ),
          },
        },
      },
      async (_request, reply) => {
        reply.type(deps.registry.contentType);
        return deps.registry.metrics();
      },
    );
  };
}
