import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

/** The fastify instance every route module receives: zod schemas type the handlers. */
export type HeraldFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * A group of routes. The composition root lists them; `create-server.ts` registers each one in its own
 * encapsulated context, so a module's hooks and content-type parsers stay its own.
 *
 * @example
 * export function healthRoutes(deps: HealthDeps): RouteModule {
 *   return async (app) => { app.get('/healthz', async () => ({ status: 'ok' })); };
 * }
 */
export type RouteModule = (app: HeraldFastify) => Promise<void> | void;
