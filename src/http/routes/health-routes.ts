import { z } from 'zod';
import { HeraldError } from '../../domain/errors.js';
import type { RouteModule } from '../herald-fastify.js';
import { errorResponses } from '../schemas/common.js';

export interface HealthDeps {
  /** Resolves when the database answers. */
  readonly ping: () => Promise<void>;
  /** True once shutdown has begun, so load balancers stop sending traffic. */
  readonly stopping: () => boolean;
}

export function healthRoutes(deps: HealthDeps): RouteModule {
  return (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Liveness: the process is up',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Readiness: the database answers and the process is not stopping',
          response: { 200: z.object({ status: z.literal('ready') }), ...errorResponses(503) },
        },
      },
      async () => {
        if (deps.stopping()) throw new HeraldError('HERALD_UNAVAILABLE', 'shutting down');
        try {
          await deps.ping();
        } catch (error) {
          throw new HeraldError('HERALD_UNAVAILABLE', 'the database does not answer', { cause: error });
        }
        return { status: 'ready' as const };
      },
    );
  };
}
