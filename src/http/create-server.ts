import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Authenticator } from '../app/apps/authenticator.js';
import { HeraldError } from '../domain/errors.js';
import type { Logger } from '../ports/logger.js';
import { errorHandler, sendError } from './error-handler.js';
import type { HeraldFastify, RouteModule } from './herald-fastify.js';
import { type InFlight, trackInFlight } from './in-flight.js';
import { LazyChildLogger } from './lazy-child-logger.js';
import { jsonTextProblem, MAX_JSON_DEPTH, nulInRecord } from './nul-text.js';
import { errorResponses } from './schemas/common.js';
import { fileUnderMediaTypes } from './schemas/media-response.js';

/** A route as registered: `url` in fastify's form (`/v1/apps/:appId`). */
export interface HeraldRoute {
  readonly method: string;
  readonly url: string;
  /** Left out of the OpenAPI document on purpose (`schema.hide`). */
  readonly hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    heraldRoutes: readonly HeraldRoute[];
    /** The requests being answered: a shutdown keeps listening until they are done. */
    heraldInFlight: InFlight;
  }
}

export interface ServerOptions {
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly bodyLimitBytes: number;
  readonly publicUrl: string;
  readonly version: string;
  readonly routes: readonly RouteModule[];
}

/** The methods fastify reads a body for (its `bodywith`): their routes can refuse one, with 413 or 415. */
const BODY_METHODS = new Set(['DELETE', 'OPTIONS', 'PATCH', 'PUT', 'POST']);

/** Log levels at which every request gets its line (else only failures do). */
const VERBOSE_LEVELS = new Set(['debug', 'trace']);

/**
 * Builds the HTTP server: zod validation (unknown fields rejected), one error envelope, the OpenAPI document at
 * `/openapi.json` and its browsable reference at `/docs`. It knows nothing of the routes it registers.
 */
const NO_QUERY = z.strictObject({});

export async function createServer(options: ServerOptions): Promise<HeraldFastify> {
  const app = Fastify({
    loggerInstance: options.logger as never,
    bodyLimit: options.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    childLoggerFactory: (logger, bindings, options) => new LazyChildLogger(logger, bindings, options),
    trustProxy: true,
    // Endpoint and user ids may be 256 characters, and a percent-encoded character takes up to 12 (the default,
    // 100, refused GET /endpoints/{id} for ids that PUT had accepted).
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: (error, _request, reply) => {
      sendError(
        reply,
        new HeraldError(
          'HERALD_VALIDATION_FAILED',
          error.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'a segment of the path is longer than 4,096 characters'
            : 'the URL is not valid (bad percent-encoding)',
          { field: 'url' },
        ),
      );
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // No route takes text/plain: 415, as for a form, rather than a string that fails the body's validation.
  app.removeContentTypeParser('text/plain');
  // Many clients send Content-Type: application/json on every request, DELETE and body-less POSTs included: an
  // empty body is no body (a route that needs one says so in its validation), not malformed JSON.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(
      reply,
      new HeraldError('HERALD_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  });
  app.decorate('heraldAuthenticator', options.authenticator);
  app.decorate('heraldInFlight', trackInFlight(app as unknown as HeraldFastify));
  app.decorateRequest('principal', undefined);
  // Every route registered from here on, so the API surface can be listed (and checked against the OpenAPI document).
  const routes: HeraldRoute[] = [];
  app.decorate('heraldRoutes', routes);
  app.addHook('onRoute', (route) => {
    // An API route that takes no query string refuses one, as the others refuse unknown parameters: `?limit=1` on an
    // unpaged list was silently ignored. (Webhooks keep theirs: providers put their own parameters there.)
    if (route.url.startsWith('/v1/') && route.schema && route.schema.querystring === undefined)
      route.schema.querystring = NO_QUERY;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    // Statuses the server gives on any route, before or around its handler, declared here once rather than by each
    // route, which could forget them: 500 HERALD_INTERNAL from the error handler for any unexpected failure, and
    // where fastify reads a body, 413 for one over the limit and 415 for one it cannot parse (a Content-Type that
    // does not parse included, even where a route takes any type).
    if (route.schema && !hidden) {
      const responses = (route.schema.response ?? {}) as Record<string, unknown>;
      const statuses = methods.some((method) => BODY_METHODS.has(method)) ? [413, 415, 500] : [500];
      const missing = statuses.filter((status) => responses[status] === undefined);
      if (missing.length > 0) route.schema.response = { ...responses, ...errorResponses(...missing) };
    }
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, hidden });
  });

  // Callback hooks, not async ones: they run on every request, webhooks included, and a promise per hook per
  // request is measurable there.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // PostgreSQL's text cannot hold U+0000 (SQLite's can): refused at the edge as bad input, on both databases, rather
  // than failing as a database error halfway through a write.
  app.addHook('preValidation', (request, _reply, done) => {
    const problem = Buffer.isBuffer(request.body) ? undefined : jsonTextProblem(request.body);
    if (problem && 'tooDeep' in problem) {
      done(
        new HeraldError('HERALD_VALIDATION_FAILED', `body: nested more than ${MAX_JSON_DEPTH} levels deep`, {
          field: '(body)',
        }),
      );
      return;
    }
    const field = nulInRecord(request.params) ?? nulInRecord(request.query) ?? problem?.nulAt;
    if (field === undefined) done();
    else
      done(
        new HeraldError(
          'HERALD_VALIDATION_FAILED',
          `${field || '(body)'}: text cannot contain the NUL character (\\u0000)`,
          {
            field: field || '(body)',
          },
        ),
      );
  });
  // One line per request, by route pattern: the URL itself can hold ids and addresses.
  app.addHook('onResponse', (request, reply, done) => {
    const failed = reply.statusCode >= 500;
    if (failed || VERBOSE_LEVELS.has(request.log.level)) {
      // request.log already carries reqId.
      const line = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      };
      if (failed) request.log.error(line, 'request failed');
      else request.log.debug(line, 'request');
    }
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herald API',
        version: options.version,
        description:
          'Self-hosted customer messaging: endpoints, segments, templates, campaigns and a send API over WhatsApp, LINE, SMS and custom channels. Errors are `{"error": {"code", "message", "field"}}`; codes are listed in docs/errors.md.',
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An app API key (hk_...) or the admin token.',
          },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
    },
    // Routes without a schema (the mounted sandbox's wire APIs) are not Herald's API: they stay out of the document.
    transform: (input) => {
      if (!input.schema) return { schema: { hide: true }, url: input.url };
      const transformed = jsonSchemaTransform(input);
      return { ...transformed, schema: fileUnderMediaTypes(transformed.schema) };
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const routes of options.routes) {
    await app.register(async (scope) => routes(scope as unknown as HeraldFastify));
  }
  return app as unknown as HeraldFastify;
}
