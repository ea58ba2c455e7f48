import { z } from 'zod';
import type { SendRequest, SendResult } from '../../app/delivery/send-message.js';
import { encodeCursor } from '../../domain/cursor.js';
import { HeraldError } from '../../domain/errors.js';
import { isFinal, MESSAGE_STATUSES } from '../../domain/message-status.js';
import type { LedgerMessage, MessageLedger } from '../../ports/message-ledger.js';
import { appIdOf, requireAppAccess, requireAppKey } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { afterIdFrom } from '../pagination.js';
import {
  appIdParams,
  errorResponses,
  paginationQuery,
  security,
  timestamp,
  toIso,
} from '../schemas/common.js';
import { contentFields, pickContent } from '../schemas/message-content-schema.js';

export interface MessageRoutesDeps {
  readonly send: (request: SendRequest) => Promise<SendResult>;
  readonly ledger: MessageLedger;
  /** The last status a channel's provider reports for a message that goes well (see `final`). */
  readonly lastStatus: (appId: string, channelId: string) => Promise<'sent' | 'delivered' | 'read'>;
}

const SENDABLE = ['WHATSAPP', 'LINE', 'SMS', 'CUSTOM'] as const;

const sendBody = z
  .strictObject({
    channelType: z.enum(SENDABLE),
    to: z
      .string()
      .min(1)
      .max(256)
      .describe('E.164 phone number for WHATSAPP and SMS, a LINE user id for LINE.'),
    channelId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("Which of the app's channels; the first of the type by default."),
    fallbackLanguage: z
      .string()
      .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/)
      .optional()
      .describe(
        "The consent template's language when the recipient's locale is not known (WhatsApp, window closed).",
      ),
    ...contentFields,
  })
  .meta({
    id: 'SendMessageRequest',
    description: 'Exactly one of text, template, media, interactive, location, sticker, reaction.',
  });

const accepted = z
  .object({
    messageId: z.string(),
    status: z
      .enum(MESSAGE_STATUSES)
      .describe('`queued`, or `awaiting_window` when WhatsApp needs the user to write first.'),
  })
  .meta({ id: 'SendMessageResponse' });

const messageSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    channelId: z.string(),
    channelType: z.string(),
    status: z.enum(MESSAGE_STATUSES),
    final: z
      .boolean()
      .describe(
        'True when the status will not change any more: read, failed, expired, cancelled; delivered on SMS, which reports no reads; sent on a channel that reports nothing after sending (LINE, custom).',
      ),
    history: z
      .array(z.object({ status: z.enum(MESSAGE_STATUSES), at: timestamp, errorCode: z.string().nullable() }))
      .optional(),
    providerMessageId: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    source: z.string(),
    contentKind: z.string(),
    templateName: z.string().nullable(),
    endpointId: z.string().nullable(),
    campaignId: z.string().nullable(),
    activityId: z.string().nullable(),
    treatmentId: z.string().nullable(),
    attempts: z.number(),
    holdUntil: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Message', description: 'A ledger entry. It holds no phone number or LINE id.' });

const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('A repeated key returns the first result and sends nothing twice.'),
});

const awsSampleBody = z.strictObject({
  destination_number: z.string().min(1).max(32),
  message_body: z.string().min(1).max(4096),
});

function messageJson(
  m: LedgerMessage & {
    history?: { status: LedgerMessage['status']; at: number; errorCode: string | null }[];
  },
  lastStatus: 'sent' | 'delivered' | 'read',
) {
  return {
    id: m.id,
    appId: m.appId,
    channelId: m.channelId,
    channelType: m.channelType,
    status: m.status,
    final:
      isFinal(m.status) ||
      (lastStatus === 'sent' && m.status === 'sent') ||
      (lastStatus === 'delivered' && m.status === 'delivered'),
    ...(m.history
      ? { history: m.history.map((h) => ({ status: h.status, at: toIso(h.at), errorCode: h.errorCode })) }
      : {}),
    providerMessageId: m.providerMessageId,
    error: m.error,
    source: m.source,
    contentKind: m.contentKind,
    templateName: m.templateName,
    endpointId: m.endpointId,
    campaignId: m.campaignId,
    activityId: m.activityId,
    treatmentId: m.treatmentId,
    attempts: m.attempts,
    holdUntil: m.holdUntil === null ? null : toIso(m.holdUntil),
    createdAt: toIso(m.createdAt),
    updatedAt: toIso(m.updatedAt),
  };
}

export function messageRoutes(deps: MessageRoutesDeps): RouteModule {
  return (app) => {
    app.post(
      '/v1/apps/:appId/messages',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['messages'],
          summary: 'Send a message',
          description:
            'Queues one message and answers 202 at once. WhatsApp free-form messages to a user who has not written in 24 hours are held (`awaiting_window`) while the consent template asks the user to reply; they go out when the user writes back, or expire after the hold time.',
          security,
          params: appIdParams,
          headers: idempotencyHeaders,
          body: sendBody,
          response: { 202: accepted, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const { channelType, to, channelId, fallbackLanguage, ...rest } = request.body;
        const content = pickContent(rest);
        if (typeof content === 'string')
          throw new HeraldError('HERALD_VALIDATION_FAILED', content, { field: '(body)' });
        const key = request.headers['idempotency-key'];
        const result = await deps.send({
          appId: request.params.appId,
          channelType,
          to,
          content,
          ...(channelId ? { channelId } : {}),
          ...(fallbackLanguage ? { fallbackLanguage } : {}),
          ...(key ? { idempotencyKey: key } : {}),
        });
        reply.code(202);
        if (!result.created) reply.header('idempotent-replayed', 'true');
        return { messageId: result.messageId, status: result.status };
      },
    );

    app.get(
      '/v1/apps/:appId/messages/:messageId',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['messages'],
          summary: 'Get a message: status, history, provider id and error',
          security,
          params: appIdParams.extend({ messageId: z.string().min(1).max(64) }),
          response: { 200: messageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const message = await deps.ledger.get(request.params.appId, request.params.messageId);
        if (!message)
          throw new HeraldError('HERALD_NOT_FOUND', `message ${request.params.messageId} does not exist`, {
            field: 'messageId',
          });
        return messageJson(message, await deps.lastStatus(message.appId, message.channelId));
      },
    );

    app.get(
      '/v1/apps/:appId/messages',
      {
        onRequest: requireAppAccess,
        schema: {
          tags: ['messages'],
          summary: 'List messages, newest first',
          security,
          params: appIdParams,
          querystring: z.strictObject({
            ...paginationQuery,
            status: z.enum(MESSAGE_STATUSES).optional(),
            campaignId: z.string().min(1).max(64).optional(),
            since: z.iso
              .datetime({ offset: true })
              .optional()
              .describe('Only messages created at or after this time.'),
          }),
          response: {
            200: z.object({ items: z.array(messageSchema), nextCursor: z.string().nullable() }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { limit, cursor, status, campaignId, since } = request.query;
        const before = afterIdFrom(cursor).afterId;
        const rows = await deps.ledger.list(request.params.appId, {
          limit: limit + 1,
          ...(status ? { status } : {}),
          ...(campaignId ? { campaignId } : {}),
          ...(since ? { since: Date.parse(since) } : {}),
          ...(before ? { beforeId: before } : {}),
        });
        const items = rows.slice(0, limit);
        const last = items.at(-1);
        return {
          items: await Promise.all(
            items.map(async (m) => messageJson(m, await deps.lastStatus(m.appId, m.channelId))),
          ),
          nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null,
        };
      },
    );

    // The request shapes of the AWS sample this replaces (API Gateway + x-api-key), so its callers keep working.
    for (const [path, channelType] of [
      ['/v1/sendWhatsApp', 'WHATSAPP'],
      ['/v1/sendSMS', 'SMS'],
    ] as const) {
      app.post(
        path,
        {
          onRequest: requireAppKey,
          schema: {
            tags: ['messages'],
            summary: `Send a ${channelType === 'SMS' ? 'SMS' : 'WhatsApp'} text (AWS sample compatible)`,
            description:
              'The app is the one of the API key (`x-api-key`). Same behaviour as POST /v1/apps/{appId}/messages with `text`.',
            security,
            headers: idempotencyHeaders,
            body: awsSampleBody,
            response: { 202: accepted, ...errorResponses(400, 401, 403, 422) },
          },
        },
        async (request, reply) => {
          const key = request.headers['idempotency-key'];
          let result: SendResult;
          try {
            result = await deps.send({
              appId: appIdOf(request),
              channelType,
              to: request.body.destination_number,
              content: { kind: 'text', text: request.body.message_body },
              ...(key ? { idempotencyKey: key } : {}),
            });
          } catch (error) {
            throw inAwsSampleTerms(error);
          }
          reply.code(202);
          if (!result.created) reply.header('idempotent-replayed', 'true');
          return { messageId: result.messageId, status: result.status };
        },
      );
    }
  };
}

/** An error of the send API named by the AWS sample's fields, which are the ones its caller sent. */
function inAwsSampleTerms(error: unknown): unknown {
  if (!(error instanceof HeraldError)) return error;
  const field =
    error.field === 'to' ? 'destination_number' : error.field === 'text' ? 'message_body' : undefined;
  if (!field) return error;
  return new HeraldError(error.code, error.message.replace(/^(to|text):/, `${field}:`), {
    field,
    ...(error.details ? { details: error.details } : {}),
    cause: error,
  });
}
