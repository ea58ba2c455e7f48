import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { monotonicFactory } from 'ulidx';
import { z } from 'zod';
import type { DemoChannel, SandboxContext, SandboxProvider } from '../sandbox-provider.js';
import {
  type LineErrorDetail,
  summarizeLineMessage,
  validateLineMessages,
} from './line-message-validation.js';
import {
  LINE_SEND_ENDPOINTS,
  LineSandboxChannel,
  type LineSandboxUser,
  type LineSendEndpoint,
  randomHex,
  type SentMessage,
} from './line-sandbox-channel.js';

const NAME = 'line';
const RATE_LIMITED = 'The API rate limit has been exceeded. Try again later.';
const MONTHLY_LIMIT = 'You have reached your monthly limit.';
const RETRY_KEY_ENDPOINTS = new Set<LineSendEndpoint>(['push', 'multicast', 'broadcast', 'narrowcast']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_ID = /^U[0-9a-f]{32}$/;
const ANY_TARGET = /^[UCR][0-9a-f]{32}$/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class LineHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: readonly LineErrorDetail[] = [],
  ) {
    super(message);
  }
}

const rateLimit = z.strictObject({
  requests: z.number().int().min(0).max(1_000_000),
  perSeconds: z
    .number()
    .positive()
    .max(31 * 24 * 3600),
});

const controlSchemas = {
  channel: z.strictObject({
    channelId: z
      .string()
      .regex(/^\d{1,20}$/)
      .optional(),
    channelSecret: z.string().min(8).optional(),
    channelAccessToken: z.string().min(16).optional(),
    webhookUrl: z.url().optional(),
    botName: z.string().min(1).max(20).optional(),
    users: z
      .array(z.strictObject({ userId: z.string().regex(USER_ID).optional(), displayName: z.string().min(1) }))
      .max(1000)
      .optional(),
  }),
  follow: z.strictObject({
    userId: z.string().regex(USER_ID).optional(),
    displayName: z.string().min(1).max(100).optional(),
  }),
  unfollow: z.strictObject({ userId: z.string().regex(USER_ID) }),
  message: z
    .strictObject({
      userId: z.string().regex(USER_ID).optional(),
      displayName: z.string().min(1).max(100).optional(),
      text: z.string().min(1).max(5000).optional(),
      message: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((b) => (b.text === undefined) !== (b.message === undefined), 'give text or message, not both'),
  postback: z.strictObject({
    userId: z.string().regex(USER_ID),
    data: z.string().min(1).max(300),
    params: z.record(z.string(), z.string()).optional(),
  }),
  rateLimits: z.strictObject(Object.fromEntries(LINE_SEND_ENDPOINTS.map((e) => [e, rateLimit.optional()]))),
  quota: z.strictObject({
    limit: z.number().int().min(0).nullable(),
    used: z.number().int().min(0).optional(),
  }),
  webhookEndpoint: z.strictObject({ endpoint: z.url() }),
  webhookTest: z.strictObject({ endpoint: z.url().optional() }),
};

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    message: issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
    property: issue.path.join('.'),
  }));
  throw new LineHttpError(400, `The request body has ${details.length} error(s)`, details);
}

/**
 * The LINE Messaging API sandbox, mounted at `/line`: reply, push, multicast, broadcast and narrowcast (with their
 * validate twins), LINE's validation rules and error shapes, single-use reply tokens that expire after a minute,
 * the `X-Line-Retry-Key` store (409 with `x-line-accepted-request-id`), per-endpoint rate buckets and a monthly
 * quota, profiles and bot info, and signed webhooks (follow, unfollow, message, postback, the verification ping,
 * redeliveries marked `isRedelivery`). `@line/bot-sdk`'s `MessagingApiClient` works against it with
 * `baseURL: '<sandbox>/line'`.
 *
 * Control routes under `/line/_control`: provision a channel, simulate a user, set rate limits and quota.
 * `reset` forgets tokens, retry keys, requests and quotas but keeps channels and their friends.
 *
 * @example
 * const line = createLineSandbox();
 * // POST /line/_control/channels {"webhookUrl": "http://127.0.0.1:3000/webhooks/app/line"}
 */
export function createLineSandbox(): SandboxProvider {
  const channels = new Map<string, LineSandboxChannel>();
  const byToken = new Map<string, LineSandboxChannel>();
  let context: SandboxContext | undefined;
  let nextMessageId = BigInt(`5${Date.now()}`.padEnd(18, '0'));
  const ulid = monotonicFactory();

  const ctx = (): SandboxContext => {
    if (!context) throw new Error('the LINE sandbox is not mounted');
    return context;
  };
  const now = () => ctx().clock.now();
  const messageId = (): string => {
    nextMessageId += 1n;
    return nextMessageId.toString();
  };

  function channelOrThrow(channelId: string): LineSandboxChannel {
    const channel = channels.get(channelId);
    if (!channel) throw new LineHttpError(404, `no LINE channel ${channelId} in the sandbox`);
    return channel;
  }

  function provision(input: z.output<typeof controlSchemas.channel>): LineSandboxChannel {
    const channelId = input.channelId ?? `2${randomHex(9).replace(/[a-f]/g, '7')}`;
    let channel = channels.get(channelId);
    if (channel) {
      byToken.delete(channel.accessToken);
      if (input.channelSecret) channel.channelSecret = input.channelSecret;
      if (input.channelAccessToken) channel.accessToken = input.channelAccessToken;
      if (input.botName) channel.botName = input.botName;
    } else {
      channel = new LineSandboxChannel(
        channelId,
        input.channelSecret ?? randomHex(32),
        input.channelAccessToken ?? `sandbox-line-${randomHex(40)}`,
        input.botName ?? 'Herald sandbox bot',
      );
      channels.set(channelId, channel);
    }
    byToken.set(channel.accessToken, channel);
    for (const user of input.users ?? []) channel.addUser(user.displayName, user.userId);
    if (input.webhookUrl !== undefined) {
      channel.webhookUrl = input.webhookUrl;
      // As the console's "Verify" does when an endpoint is set: a signed body with no events.
      emit(channel, []);
    }
    return channel;
  }

  function signed(channel: LineSandboxChannel, body: string): Record<string, string> {
    return {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'LineBotWebhook/2.0',
      'x-line-signature': createHmac('sha256', channel.channelSecret).update(body).digest('base64'),
    };
  }

  function emit(channel: LineSandboxChannel, events: Json[]): void {
    const url = channel.webhookUrl;
    if (!url || !channel.webhookActive) return;
    const body = JSON.stringify({ destination: channel.botUserId, events });
    // A redelivery repeats each event with the same webhookEventId, marked as such, so its signature differs.
    const redelivered = JSON.stringify({
      destination: channel.botUserId,
      events: events.map((e) => ({ ...e, deliveryContext: { isRedelivery: true } })),
    });
    ctx().webhooks.emit({
      url,
      headers: signed(channel, body),
      body,
      redelivery: { url, headers: signed(channel, redelivered), body: redelivered },
    });
  }

  function event(type: string, userId: string) {
    const at = now();
    return {
      type,
      mode: 'active',
      timestamp: at,
      source: { type: 'user', userId },
      webhookEventId: ulid(at),
      deliveryContext: { isRedelivery: false },
    };
  }

  function friend(
    channel: LineSandboxChannel,
    userId: string | undefined,
    displayName?: string,
  ): LineSandboxUser {
    const existing = userId === undefined ? undefined : channel.users.get(userId);
    if (existing) {
      if (displayName) existing.displayName = displayName;
      return existing;
    }
    return channel.addUser(displayName ?? `LINE user ${channel.users.size + 1}`, userId);
  }

  function userMessage(
    channel: LineSandboxChannel,
    user: LineSandboxUser,
    message: Json,
  ): { webhookEventId: string; messageId: string; replyToken: string } {
    const replyToken = channel.issueReplyToken(user.userId, now());
    const id = messageId();
    const payload = {
      ...event('message', user.userId),
      replyToken,
      message: { id, quoteToken: randomHex(40), ...message },
    };
    ctx().phones.record(NAME, channel.channelId, user.userId, {
      at: now(),
      direction: 'in',
      summary: summarizeLineMessage(message),
      providerMessageId: id,
    });
    emit(channel, [payload]);
    return { webhookEventId: String(payload.webhookEventId), messageId: id, replyToken };
  }

  function authenticate(request: FastifyRequest): LineSandboxChannel {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    const channel = token ? byToken.get(token) : undefined;
    if (!channel) {
      throw new LineHttpError(
        401,
        token
          ? 'Authentication failed due to the following reason: invalid token. Confirm that the access token in the authorization header is valid.'
          : 'Authentication failed. Confirm that the access token in the authorization header is valid.',
      );
    }
    return channel;
  }

  /** Recipients of a send: who it goes to and how many count toward the monthly quota (replies are free). */
  function recipients(endpoint: LineSendEndpoint, channel: LineSandboxChannel, body: Json): string[] {
    const details: LineErrorDetail[] = [];
    let to: string[] = [];
    switch (endpoint) {
      case 'reply': {
        if (typeof body.replyToken !== 'string' || body.replyToken === '') {
          details.push({ message: 'May not be empty', property: 'replyToken' });
          break;
        }
        const target = channel.replyTarget(body.replyToken, now());
        details.push(...validateLineMessages(body.messages));
        if (details.length === 0 && target === undefined) throw new LineHttpError(400, 'Invalid reply token');
        if (target !== undefined) to = [target];
        break;
      }
      case 'push':
        if (typeof body.to !== 'string' || body.to === '')
          details.push({ message: 'May not be empty', property: 'to' });
        else if (!ANY_TARGET.test(body.to))
          throw new LineHttpError(
            400,
            "The property, 'to', in the request body is invalid (line: -, column: -)",
          );
        else to = [body.to];
        break;
      case 'multicast':
        if (!Array.isArray(body.to) || body.to.length === 0) {
          details.push({ message: 'Size must be between 1 and 500', property: 'to' });
        } else if (body.to.length > 500) {
          details.push({ message: 'Size must be between 1 and 500', property: 'to' });
        } else {
          body.to.forEach((id: unknown, i) => {
            if (typeof id !== 'string' || !USER_ID.test(id))
              details.push({ message: 'Invalid user ID', property: `to[${i}]` });
          });
          to = [...new Set(body.to as string[])];
        }
        break;
      case 'broadcast':
      case 'narrowcast': {
        const following = [...channel.users.values()].filter((u) => u.following).map((u) => u.userId);
        const limit = isObject(body.limit) && typeof body.limit.max === 'number' ? body.limit.max : undefined;
        to = limit === undefined ? following : following.slice(0, limit);
        break;
      }
    }
    if (endpoint !== 'reply') details.push(...validateLineMessages(body.messages));
    if (details.length > 0)
      throw new LineHttpError(400, `The request body has ${details.length} error(s)`, details);
    // An unknown user cannot be reached; a group or room (C.../R...) is not modelled, so a push to one goes through,
    // as it does on LINE to a group the bot is in (Herald answers group and room events there).
    if (endpoint === 'push' && USER_ID.test(to[0] ?? '') && !channel.users.has(to[0] ?? ''))
      throw new LineHttpError(400, 'Failed to send messages');
    return to;
  }

  async function send(
    endpoint: LineSendEndpoint,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const channel = authenticate(request);
    const retryKey = headerOf(request, 'x-line-retry-key');
    if (retryKey !== undefined) {
      if (!RETRY_KEY_ENDPOINTS.has(endpoint)) {
        throw new LineHttpError(400, 'The X-Line-Retry-Key header is not supported for this endpoint');
      }
      if (!UUID.test(retryKey)) {
        throw new LineHttpError(
          400,
          'The value of the X-Line-Retry-Key header must be a UUID in hexadecimal notation',
        );
      }
      const accepted = channel.acceptedRetryKey(retryKey, now());
      if (accepted) {
        reply.code(409).header('x-line-accepted-request-id', accepted.requestId);
        return reply.send({
          message: 'The retry key is already accepted',
          ...(endpoint === 'push' ? { sentMessages: accepted.sentMessages } : {}),
        });
      }
    }
    const body = isObject(request.body) ? request.body : {};
    const to = recipients(endpoint, channel, body);
    const messages = body.messages as unknown[];

    const decision = ctx().faults.decide(NAME);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.kind === 'error')
      throw new LineHttpError(500, 'An error occurred in the server. Try again later.');
    if (decision.kind === 'throttle') throw new LineHttpError(429, RATE_LIMITED);
    if (!channel.takeRate(endpoint, now())) throw new LineHttpError(429, RATE_LIMITED);
    const counted = endpoint === 'reply' ? 0 : to.length;
    if (!channel.quotaAllows(counted)) throw new LineHttpError(429, MONTHLY_LIMIT);

    const requestId = String(reply.getHeader('x-line-request-id'));
    const sentMessages: SentMessage[] =
      endpoint === 'push' || endpoint === 'reply'
        ? messages.map(() => ({ id: messageId(), quoteToken: randomHex(40) }))
        : [];
    channel.accept(
      {
        requestId,
        endpoint,
        ...(retryKey === undefined ? {} : { retryKey }),
        recipients: to,
        messages,
        sentMessages,
        at: now(),
      },
      counted,
      now(),
    );
    if (endpoint === 'reply') channel.useReplyToken(String(body.replyToken));
    if (endpoint === 'narrowcast')
      channel.narrowcasts.set(requestId, { targetCount: to.length, acceptedAt: now() });
    const summary = messages.map(summarizeLineMessage).join('\n');
    for (const userId of to) {
      const tag =
        endpoint === 'reply'
          ? `reply:${String(body.replyToken)}`
          : retryKey === undefined
            ? undefined
            : `${retryKey}:${userId}`;
      ctx().counters.record(NAME, channel.channelId, userId, tag);
      const user = channel.users.get(userId);
      ctx().phones.record(NAME, channel.channelId, userId, {
        at: now(),
        direction: 'out',
        summary,
        providerMessageId: sentMessages[0]?.id ?? `${requestId}:${userId}`,
        ...(user && !user.following ? { status: 'not delivered: the user blocked the account' } : {}),
      });
    }

    if (decision.kind === 'timeout') await sleep(decision.hangMs);
    if (endpoint === 'narrowcast') return reply.code(202).send({});
    return reply.send(sentMessages.length > 0 ? { sentMessages } : {});
  }

  function validateOnly(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    authenticate(request);
    if (headerOf(request, 'x-line-retry-key') !== undefined) {
      throw new LineHttpError(400, 'The X-Line-Retry-Key header is not supported for this endpoint');
    }
    const body = isObject(request.body) ? request.body : {};
    const details = validateLineMessages(body.messages);
    if (details.length > 0)
      throw new LineHttpError(400, `The request body has ${details.length} error(s)`, details);
    return reply.send({});
  }

  /** The Messaging API itself: under `/line`, and at the sandbox root for the official SDK. */
  function wireRoutes(app: FastifyInstance): void {
    app.setErrorHandler((error, _request, reply) => {
      if (error instanceof LineHttpError) {
        reply.code(error.statusCode).send({
          message: error.message,
          ...(error.details.length > 0 ? { details: error.details } : {}),
        });
        return;
      }
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      reply.code(status).send({ message: error instanceof Error ? error.message : String(error) });
    });
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('x-line-request-id', randomUUID());
    });
    // The SDK posts an empty body with a JSON content type for optional bodies (webhook test); LINE accepts that.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      if (body === '') return done(null, undefined);
      try {
        done(null, JSON.parse(String(body)));
      } catch {
        done(new LineHttpError(400, 'The request body could not be parsed as JSON'), undefined);
      }
    });

    for (const endpoint of LINE_SEND_ENDPOINTS) {
      app.post(`/v2/bot/message/${endpoint}`, async (request, reply) => send(endpoint, request, reply));
      app.post(`/v2/bot/message/validate/${endpoint}`, async (request, reply) =>
        validateOnly(request, reply),
      );
    }

    app.get('/v2/bot/message/progress/narrowcast', async (request) => {
      const channel = authenticate(request);
      const { requestId } = request.query as { requestId?: string };
      const progress = requestId ? channel.narrowcasts.get(requestId) : undefined;
      if (!progress) throw new LineHttpError(404, 'Not found');
      return {
        phase: 'succeeded',
        successCount: progress.targetCount,
        failureCount: 0,
        targetCount: progress.targetCount,
        acceptedTime: new Date(progress.acceptedAt).toISOString(),
        completedTime: new Date(progress.acceptedAt).toISOString(),
      };
    });

    app.get('/v2/bot/message/quota', async (request) => {
      const { quota } = authenticate(request);
      return quota.limit === null ? { type: 'none' } : { type: 'limited', value: quota.limit };
    });
    app.get('/v2/bot/message/quota/consumption', async (request) => ({
      totalUsage: authenticate(request).quota.used,
    }));

    app.get('/v2/bot/profile/:userId', async (request) => {
      const channel = authenticate(request);
      const { userId } = request.params as { userId: string };
      const user = channel.users.get(userId);
      if (!user?.following) throw new LineHttpError(404, 'Not found');
      return { userId: user.userId, displayName: user.displayName, language: 'en' };
    });

    app.get('/v2/bot/info', async (request) => {
      const channel = authenticate(request);
      return {
        userId: channel.botUserId,
        basicId: `@${channel.channelId.slice(-8)}`,
        displayName: channel.botName,
        chatMode: 'bot',
        markAsReadMode: 'auto',
      };
    });

    app.put('/v2/bot/channel/webhook/endpoint', async (request) => {
      const channel = authenticate(request);
      channel.webhookUrl = parse(controlSchemas.webhookEndpoint, request.body).endpoint;
      return {};
    });
    app.get('/v2/bot/channel/webhook/endpoint', async (request) => {
      const channel = authenticate(request);
      return { endpoint: channel.webhookUrl ?? '', active: channel.webhookActive };
    });
    app.post('/v2/bot/channel/webhook/test', async (request) => {
      const channel = authenticate(request);
      const endpoint = parse(controlSchemas.webhookTest, request.body).endpoint ?? channel.webhookUrl;
      if (!endpoint) throw new LineHttpError(400, 'The webhook URL is not set');
      const body = JSON.stringify({ destination: channel.botUserId, events: [] });
      const timestamp = new Date(now()).toISOString();
      try {
        const answer = await ctx().webhooks.deliverNow({
          url: endpoint,
          headers: signed(channel, body),
          body,
        });
        const success = answer.status >= 200 && answer.status < 300;
        return {
          success,
          timestamp,
          statusCode: answer.status,
          reason: success ? 'OK' : 'ERROR_STATUS_CODE',
          detail: String(answer.status),
        };
      } catch (error) {
        return {
          success: false,
          timestamp,
          statusCode: 0,
          reason: 'COULD_NOT_CONNECT',
          detail: error instanceof Error ? error.message : String(error),
        };
      }
    });
  }

  function controlRoutes(app: FastifyInstance): void {
    app.post('/_control/channels', async (request, reply) => {
      const channel = provision(parse(controlSchemas.channel, request.body));
      reply.code(201);
      return describeChannel(channel);
    });
    app.get('/_control/channels/:channelId', async (request) =>
      describeChannel(channelOrThrow((request.params as { channelId: string }).channelId)),
    );
    app.get('/_control/channels/:channelId/requests', async (request) => ({
      items: channelOrThrow((request.params as { channelId: string }).channelId).accepted,
    }));
    app.post('/_control/channels/:channelId/follow', async (request) => {
      const channel = channelOrThrow((request.params as { channelId: string }).channelId);
      const input = parse(controlSchemas.follow, request.body);
      const existing = input.userId === undefined ? undefined : channel.users.get(input.userId);
      const isUnblocked = existing !== undefined && !existing.following;
      const user = friend(channel, input.userId, input.displayName);
      user.following = true;
      const replyToken = channel.issueReplyToken(user.userId, now());
      const payload = { ...event('follow', user.userId), replyToken, follow: { isUnblocked } };
      ctx().phones.record(NAME, channel.channelId, user.userId, {
        at: now(),
        direction: 'in',
        summary: '[follow]',
      });
      emit(channel, [payload]);
      return {
        userId: user.userId,
        displayName: user.displayName,
        webhookEventId: payload.webhookEventId,
        replyToken,
      };
    });
    app.post('/_control/channels/:channelId/unfollow', async (request) => {
      const channel = channelOrThrow((request.params as { channelId: string }).channelId);
      const { userId } = parse(controlSchemas.unfollow, request.body);
      const user = channel.users.get(userId);
      if (!user) throw new LineHttpError(404, `no user ${userId} on channel ${channel.channelId}`);
      user.following = false;
      const payload = event('unfollow', userId);
      ctx().phones.record(NAME, channel.channelId, userId, {
        at: now(),
        direction: 'in',
        summary: '[unfollow]',
      });
      emit(channel, [payload]);
      return { webhookEventId: payload.webhookEventId };
    });
    app.post('/_control/channels/:channelId/message', async (request) => {
      const channel = channelOrThrow((request.params as { channelId: string }).channelId);
      const input = parse(controlSchemas.message, request.body);
      const user = friend(channel, input.userId, input.displayName);
      const message = input.message ?? { type: 'text', text: input.text };
      return { userId: user.userId, ...userMessage(channel, user, message) };
    });
    app.post('/_control/channels/:channelId/postback', async (request) => {
      const channel = channelOrThrow((request.params as { channelId: string }).channelId);
      const input = parse(controlSchemas.postback, request.body);
      const user = friend(channel, input.userId);
      const replyToken = channel.issueReplyToken(user.userId, now());
      const payload = {
        ...event('postback', user.userId),
        replyToken,
        postback: { data: input.data, ...(input.params ? { params: input.params } : {}) },
      };
      ctx().phones.record(NAME, channel.channelId, user.userId, {
        at: now(),
        direction: 'in',
        summary: `[postback ${input.data}]`,
      });
      emit(channel, [payload]);
      return { webhookEventId: payload.webhookEventId, replyToken };
    });
    app.put('/_control/channels/:channelId/rate-limits', async (request) => {
      const channel = channelOrThrow((request.params as { channelId: string }).channelId);
      const input = parse(controlSchemas.rateLimits, request.body) as Partial<
        Record<LineSendEndpoint, { requests: number; perSeconds: number }>
      >;
      for (const endpoint of LINE_SEND_ENDPOINTS) {
        const limit = input[endpoint];
        if (limit) channel.setRateLimit(endpoint, limit);
      }
      return channel.rateLimits();
    });
    app.put('/_control/channels/:channelId/quota', async (request) => {
      const channel = channelOrThrow((request.params as { channelId: string }).channelId);
      const input = parse(controlSchemas.quota, request.body);
      channel.quota = { limit: input.limit, used: input.used ?? channel.quota.used };
      return channel.quota;
    });
  }

  return {
    name: NAME,
    title: 'LINE Messaging API',

    routes(app: FastifyInstance, sandboxContext: SandboxContext) {
      context = sandboxContext;
      wireRoutes(app);
      controlRoutes(app);
    },

    rootRoutes(app: FastifyInstance, sandboxContext: SandboxContext) {
      context = sandboxContext;
      wireRoutes(app);
    },

    async simulateInbound({ account, user, text }) {
      const channel = channelOrThrow(account);
      userMessage(channel, friend(channel, USER_ID.test(user) ? user : undefined), { type: 'text', text });
    },

    reset() {
      for (const channel of channels.values()) channel.reset();
    },

    async demoChannel({ webhookUrl }): Promise<DemoChannel> {
      const channel = provision({
        webhookUrl: webhookUrl(NAME),
        botName: 'Herald demo',
        users: [{ displayName: 'Aiko Tanaka' }, { displayName: 'Ken Sato' }],
      });
      return {
        channelId: NAME,
        provider: 'line',
        sender: { channelId: channel.channelId },
        credentials: { channelAccessToken: channel.accessToken, channelSecret: channel.channelSecret },
        options: { baseUrl: `${ctx().publicUrl()}/${NAME}` },
        demoUsers: [...channel.users.keys()],
      };
    },
  };
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function describeChannel(channel: LineSandboxChannel) {
  return {
    channelId: channel.channelId,
    channelSecret: channel.channelSecret,
    channelAccessToken: channel.accessToken,
    botUserId: channel.botUserId,
    webhookUrl: channel.webhookUrl ?? null,
    users: [...channel.users.values()],
    quota: channel.quota,
    rateLimits: channel.rateLimits(),
  };
}
