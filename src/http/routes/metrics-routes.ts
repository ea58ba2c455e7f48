import type { Registry } from 'prom-client';
import type { RouteModule } from '../herald-fastify.js';

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
        },
      },
      async (_request, reply) => {
        reply.type(deps.registry.contentType);
        return deps.registry.metrics();
      },
    );
  };
}
