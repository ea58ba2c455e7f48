import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ChannelDirectory } from '../../app/channels/channel-directory.js';
import { HeraldError, isHeraldError } from '../../domain/errors.js';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import type { Clock } from '../../ports/clock.js';
import type { InboundSink } from '../../ports/inbound-sink.js';
import type { RouteModule } from '../herald-fastify.js';
import { jsonTextProblem, withoutNul } from '../nul-text.js';
import { errorResponses } from '../schemas/common.js';
import { mediaResponse, mediaResponses } from '../schemas/media-response.js';

export interface WebhookRoutesDeps {
  readonly directory: ChannelDirectory;
  readonly inbound: InboundSink;
  readonly clock: Clock;
  readonly publicUrl: () => string;
  /** Largest webhook body, bytes. */
  readonly bodyLimitBytes: number;
}

/**
 * `/webhooks/{appId}/{channelId}`: every provider's webhooks. The body is kept as raw bytes (signatures are
 * computed over them), checked by the channel's adapter, stored through the inbound sink, and only then
 * answered 200. A bad or missing signature gets 401 and changes nothing.
 */
export function webhookRoutes(deps: WebhookRoutesDeps): RouteModule {
  return (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: deps.bodyLimitBytes },
      (_request, body, done) => {
        done(null, body);
      },
    );

    const channelAdapter = async (appId: string, channelId: string) => {
      try {
        return await deps.directory.adapterFor(appId, channelId);
      } catch (error) {
        if (isHeraldError(error) && error.code === 'HERALD_CHANNEL_NOT_CONFIGURED') {
          throw new HeraldError('HERALD_NOT_FOUND', `no channel ${channelId} in app ${appId}`, {
            field: 'channelId',
          });
        }
        throw error;
      }
    };

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const { appId, channelId } = request.params as { appId: string; channelId: string };
      let found = deps.directory.freshAdapter(appId, channelId);
      if (!found) found = await channelAdapter(appId, channelId);
      const webhook: WebhookRequest = {
        method: request.method,
        url: `${deps.publicUrl().replace(/\/$/, '')}${request.url}`,
        query: stringValues((request.query ?? {}) as Record<string, unknown>),
        headers: flatHeaders(request.headers),
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      };
      const result = await found.adapter.handleWebhook(webhook);
      if (!result.accepted) {
        request.log.warn({ appId, channelId, reason: result.reason }, 'webhook rejected');
        throw new HeraldError(
          result.status === 401
            ? 'HERALD_WEBHOOK_SIGNATURE_INVALID'
            : result.status === 403
              ? 'HERALD_FORBIDDEN'
              : 'HERALD_MALFORMED_BODY',
          result.reason,
        );
      }
      if (result.events.length > 0) {
        await deps.inbound.accept({
          appId,
          channelId,
          senderKey: found.channel.senderKey,
          // A user can send U+0000, which PostgreSQL's text cannot hold: stored as U+FFFD, like other undecodable text.
          events: mayHoldNul(webhook.rawBody)
            ? result.events.map((event) =>
                jsonTextProblem(event, Number.POSITIVE_INFINITY) === undefined ? event : withoutNul(event),
              )
            : result.events,
          receivedAt: deps.clock.now(),
        });
      }
      if (result.response) {
        reply.code(result.response.status).type(result.response.contentType).send(result.response.body);
        return reply;
      }
      reply.code(200).type('application/json').send('{}');
      return reply;
    };

    const schema = {
      tags: ['webhooks'],
      description:
        "Where providers deliver a channel's events (statuses, inbound messages, follow/unfollow). Configure the channel's `webhookUrl` at the provider. The signature is checked on the raw body (X-Hub-Signature-256, x-line-signature, X-Twilio-Signature, SNS signatures); a bad one gets 401.",
    };
    // The provider's own answer is written as it is (never serialized), in its own media type; the errors are
    // Herald's. Only WhatsApp takes a GET, whose body fastify never reads (no 413).
    app.get(
      '/webhooks/:appId/:channelId',
      {
        schema: {
          ...schema,
          summary: 'Webhook verification (WhatsApp hub.challenge)',
          response: {
            200: mediaResponse(
              'text/plain',
              z.string().describe("Meta's `hub.challenge`, echoed when `hub.verify_token` matches."),
            ),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      handle,
    );
    app.post(
      '/webhooks/:appId/:channelId',
      {
        schema: {
          ...schema,
          summary: 'Provider webhook',
          response: {
            200: mediaResponses("Stored: `{}`, or the answer the provider expects (Twilio's empty TwiML).", {
              'application/json': z.strictObject({}).describe('`{}`'),
              'text/xml': z
                .string()
                .describe("Twilio's incoming messages: empty TwiML (`<Response></Response>`)."),
            }),
            ...errorResponses(400, 401, 403, 404, 413),
          },
        },
      },
      handle,
    );
  };
}

function stringValues(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in query) out[name] = String(query[name]);
  return out;
}

/** Node already gives header names in lower case; only a repeated header (an array) needs joining. */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name in headers) {
    const value = headers[name];
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/**
 * Whether a provider's text could hold U+0000: only if its raw body spells one, as JSON's `\u0000` (SNS's nested
 * JSON included), a form's `%00` or the byte itself. Most webhooks do not, and their events are not walked at all.
 */
function mayHoldNul(rawBody: Buffer): boolean {
  return rawBody.includes('\\u0000') || rawBody.includes('%00') || rawBody.includes(0);
}
