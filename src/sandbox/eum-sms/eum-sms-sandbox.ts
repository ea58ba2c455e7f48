import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { TokenBucket } from '../../domain/token-bucket.js';
import { awsJsonError } from '../aws/aws-error-reply.js';
import { checkSigV4 } from '../aws/sigv4-check.js';
import { controlBody } from '../control-body.js';
import type { DemoChannel, SandboxContext, SandboxProvider } from '../sandbox-provider.js';
import { SnsPublisher } from '../sns/sns-publisher.js';

const NAME = 'eum-sms';
const NAMESPACE = 'com.amazonaws.pinpointsmsvoicev2';

/** The final event types a test can script (provider-facts §3.2). */
export const SCRIPTABLE_SMS_EVENTS = [
  'TEXT_BLOCKED',
  'TEXT_CARRIER_UNREACHABLE',
  'TEXT_INVALID',
  'TEXT_INVALID_MESSAGE',
  'TEXT_CARRIER_BLOCKED',
  'TEXT_UNREACHABLE',
  'TEXT_TTL_EXPIRED',
  'TEXT_SPAM',
  'TEXT_UNKNOWN',
] as const;

const STATUS_DESCRIPTIONS: Readonly<Record<string, string>> = {
  TEXT_PENDING: 'Message is pending delivery to the carrier',
  TEXT_SUCCESSFUL: 'Message has been accepted by phone carrier',
  TEXT_DELIVERED: 'Message has been delivered to the handset',
  TEXT_BLOCKED: 'The destination phone number or carrier blocked the message',
  TEXT_CARRIER_UNREACHABLE: 'The carrier could not be reached',
  TEXT_INVALID: 'The destination phone number is not valid',
  TEXT_INVALID_MESSAGE: 'The message body is not valid',
  TEXT_CARRIER_BLOCKED: 'The carrier blocked the message (spam or abuse filtering)',
  TEXT_UNREACHABLE: 'The handset is unreachable',
  TEXT_TTL_EXPIRED: 'The message was not handed to the carrier before its TimeToLive',
  TEXT_SPAM: 'The carrier flagged the message as spam',
  TEXT_UNKNOWN: 'The final status of the message is unknown',
};

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT']);
const START_WORDS = new Set(['START', 'UNSTOP', 'SUBSCRIBE']);

interface Outcome {
  readonly eventType: (typeof SCRIPTABLE_SMS_EVENTS)[number];
  remaining: number;
  readonly destination?: string;
}

interface SmsAccount {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly awsAccountId: string;
  readonly originationNumber: string;
  readonly phoneNumberId: string;
  readonly phoneNumberArn: string;
  readonly configurationSetName: string;
  readonly topicArn: string;
  readonly optedOut: Set<string>;
  readonly outcomes: Outcome[];
  readonly bucket: TokenBucket;
  readonly lastMessageTo: Map<string, string>;
  settings: { messagesPerSecond: number; handoffDelaySeconds: number; statusGapMs: number };
}

interface LoggedMessage {
  readonly messageId: string;
  readonly originationNumber: string;
  readonly destination: string;
  readonly body: string;
  readonly context: Record<string, string>;
  readonly at: number;
  readonly outcome: string;
}

const e164 = z.string().regex(/^\+[1-9]\d{1,18}$/, 'E.164 with a plus');

const accountSchema = z.strictObject({
  accessKeyId: z
    .string()
    .regex(/^[A-Z0-9]{16,128}$/)
    .optional(),
  secretAccessKey: z.string().min(16).max(128).optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
    .optional(),
  awsAccountId: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  originationNumber: e164.optional(),
  configurationSetName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  topicArn: z
    .string()
    .regex(/^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/)
    .optional(),
  /** Subscribed to the configuration set's SNS event destination (and two-way messages): Herald's webhook URL. */
  webhookUrl: z.url().optional(),
  messagesPerSecond: z.number().positive().max(10_000).optional(),
  signatureVersion: z.enum(['1', '2']).optional(),
});

const settingsSchema = z.strictObject({
  messagesPerSecond: z.number().positive().max(10_000).optional(),
  /** How long the carrier hand-off takes; a message whose TimeToLive is shorter expires (TEXT_TTL_EXPIRED). */
  handoffDelaySeconds: z.number().int().min(0).max(259_200).optional(),
  statusGapMs: z.number().int().min(0).max(60_000).optional(),
});

const outcomeSchema = z.strictObject({
  originationNumber: e164,
  eventType: z.enum(SCRIPTABLE_SMS_EVENTS),
  count: z.number().int().min(1).max(100_000).optional(),
  destination: e164.optional(),
});

const optOutSchema = z.strictObject({ originationNumber: e164, phoneNumber: e164, optedOut: z.boolean() });
const inboundSchema = z.strictObject({
  originationNumber: e164,
  from: e164,
  text: z.string().min(1).max(1600),
});

const sendSchema = z.looseObject({
  DestinationPhoneNumber: z
    .string()
    .min(1)
    .max(20)
    .regex(/^\+?[1-9][0-9]{1,18}$/),
  OriginationIdentity: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9_:/+-]+$/)
    .optional(),
  MessageBody: z.string().min(1).max(1600).optional(),
  MessageType: z.enum(['TRANSACTIONAL', 'PROMOTIONAL']).optional(),
  Keyword: z.string().min(1).max(30).optional(),
  ConfigurationSetName: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9_:/-]+$/)
    .optional(),
  MaxPrice: z
    .string()
    .regex(/^[0-9]{0,2}\.[0-9]{1,5}$/)
    .optional(),
  TimeToLive: z.int().min(5).max(259_200).optional(),
  Context: z
    .record(z.string().min(1).max(100), z.string().min(1).max(800))
    .refine((c) => Object.keys(c).length <= 5, 'at most 5 entries')
    .optional(),
  DestinationCountryParameters: z
    .record(z.string(), z.string())
    .refine((p) => Object.keys(p).length <= 10, 'at most 10 entries')
    .optional(),
  DryRun: z.boolean().optional(),
  ProtectConfigurationId: z.string().optional(),
  MessageFeedbackEnabled: z.boolean().optional(),
});

/**
 * AWS End User Messaging SMS (`pinpoint-sms-voice-v2`), wire-compatible with `@aws-sdk/client-pinpoint-sms-voice-v2`:
 * awsJson1_0 `POST /` with `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage` (and `DescribeAccountAttributes`),
 * SigV4 `sms-voice` verified with the provisioned secret, field validation with `Reason`, opt-out list, MPS per
 * origination number, and configuration-set events (TEXT_PENDING -> TEXT_SUCCESSFUL -> TEXT_DELIVERED, or a scripted
 * failure) and two-way messages published to SNS, `Context` echoed.
 */
export function createEumSmsSandbox(): SandboxProvider {
  let mounted: { ctx: SandboxContext; sns: SnsPublisher } | undefined;
  const accounts = new Map<string, SmsAccount>();
  const log: LoggedMessage[] = [];

  const use = () => {
    if (!mounted) throw new Error('the End User Messaging SMS sandbox is not mounted');
    return mounted;
  };

  const provision = (input: z.output<typeof accountSchema>) => {
    const { ctx, sns } = use();
    const region = input.region ?? 'us-east-1';
    const awsAccountId =
      input.awsAccountId ?? String(100_000_000_000 + Math.floor(ctx.random() * 899_999_999_999));
    const phoneNumberId = `phone-${randomBytes(16).toString('hex')}`;
    const messagesPerSecond = input.messagesPerSecond ?? 20;
    const account: SmsAccount = {
      accessKeyId: input.accessKeyId ?? `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: input.secretAccessKey ?? randomBytes(30).toString('base64url'),
      region,
      awsAccountId,
      originationNumber:
        input.originationNumber ?? `+1206555${String(Math.floor(ctx.random() * 10_000)).padStart(4, '0')}`,
      phoneNumberId,
      phoneNumberArn: `arn:aws:sms-voice:${region}:${awsAccountId}:phone-number/${phoneNumberId}`,
      configurationSetName: input.configurationSetName ?? 'herald-events',
      topicArn: input.topicArn ?? `arn:aws:sns:${region}:${awsAccountId}:herald-sms-events`,
      optedOut: new Set(),
      outcomes: [],
      bucket: new TokenBucket(
        { ratePerSecond: messagesPerSecond, burst: messagesPerSecond },
        ctx.clock.now(),
      ),
      lastMessageTo: new Map(),
      settings: { messagesPerSecond, handoffDelaySeconds: 0, statusGapMs: 20 },
    };
    accounts.set(account.originationNumber, account);
    if (input.signatureVersion) sns.signatureVersion = input.signatureVersion;
    const subscriptionArn = input.webhookUrl
      ? sns.subscribe({ topicArn: account.topicArn, endpoint: input.webhookUrl })
      : undefined;
    return { account, subscriptionArn };
  };

  const describe = (account: SmsAccount, subscriptionArn?: string) => ({
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    region: account.region,
    awsAccountId: account.awsAccountId,
    originationNumber: account.originationNumber,
    phoneNumberId: account.phoneNumberId,
    phoneNumberArn: account.phoneNumberArn,
    configurationSetName: account.configurationSetName,
    topicArn: account.topicArn,
    subscriptionArn: subscriptionArn ?? null,
    settings: account.settings,
  });

  const byNumber = (number: string, reply: FastifyReply): SmsAccount | undefined => {
    const account = accounts.get(number);
    if (!account)
      reply.code(404).send({ error: { message: `no account with origination number ${number}` } });
    return account;
  };

  const inbound = (account: SmsAccount, from: string, text: string) => {
    const { ctx, sns } = use();
    const word = text.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    // Like AWS, the opt-out list follows STOP and START on its own; the engine still sees the message.
    if (STOP_WORDS.has(word)) account.optedOut.add(from);
    if (START_WORDS.has(word)) account.optedOut.delete(from);
    const inboundMessageId = randomUUID();
    ctx.phones.record(NAME, account.originationNumber, from, {
      at: ctx.clock.now(),
      direction: 'in',
      summary: text,
      providerMessageId: inboundMessageId,
    });
    sns.publish(
      account.topicArn,
      JSON.stringify({
        originationNumber: from,
        destinationNumber: account.originationNumber,
        messageKeyword: word,
        messageBody: text,
        inboundMessageId,
        previousPublishedMessageId: account.lastMessageTo.get(from) ?? '',
      }),
    );
    return inboundMessageId;
  };

  const sendText = async (reply: FastifyReply, accessKeyId: string, json: unknown) => {
    const { ctx, sns } = use();
    const parsed = sendSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = String(issue?.path[0] ?? 'body');
      return awsJsonError(
        reply,
        NAMESPACE,
        'ValidationException',
        `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${issue?.message ?? 'invalid'}`,
        {
          Reason: 'FIELD_VALIDATION_FAILED',
          Fields: [{ Name: field, Message: issue?.message ?? 'invalid' }],
        },
      );
    }
    const input = parsed.data;
    if (input.MessageBody === undefined || input.MessageBody.trim() === '') {
      return awsJsonError(
        reply,
        NAMESPACE,
        'ValidationException',
        'MessageBody is required and must not be only whitespace.',
        {
          Reason: 'MISSING_PARAMETER',
          Fields: [{ Name: 'MessageBody', Message: 'required' }],
        },
      );
    }
    const owned = [...accounts.values()].filter((a) => a.accessKeyId === accessKeyId);
    const identity = input.OriginationIdentity;
    const account =
      identity === undefined
        ? owned[0]
        : owned.find((a) => [a.originationNumber, a.phoneNumberId, a.phoneNumberArn].includes(identity));
    if (!account) {
      return awsJsonError(
        reply,
        NAMESPACE,
        'ResourceNotFoundException',
        'The origination identity was not found.',
        {
          ResourceType: 'phone-number',
          ResourceId: identity ?? '',
        },
      );
    }
    if (
      input.ConfigurationSetName !== undefined &&
      input.ConfigurationSetName !== account.configurationSetName
    ) {
      return awsJsonError(
        reply,
        NAMESPACE,
        'ResourceNotFoundException',
        'The configuration set was not found.',
        {
          ResourceType: 'configuration-set',
          ResourceId: input.ConfigurationSetName,
        },
      );
    }
    const destination = input.DestinationPhoneNumber.startsWith('+')
      ? input.DestinationPhoneNumber
      : `+${input.DestinationPhoneNumber}`;
    if (account.optedOut.has(destination)) {
      return awsJsonError(
        reply,
        NAMESPACE,
        'ConflictException',
        'The destination phone number is opted out.',
        {
          Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
          ResourceType: 'opt-out-list',
          ResourceId: 'Default',
        },
      );
    }
    const messageId = randomUUID();
    if (input.DryRun) return { MessageId: messageId };

    const fault = ctx.faults.decide(NAME);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.kind === 'error')
      return awsJsonError(reply, NAMESPACE, 'InternalServerException', 'Internal server error.', {}, 500);
    const now = ctx.clock.now();
    if (fault.kind === 'throttle' || !account.bucket.tryTake(now)) {
      return awsJsonError(reply, NAMESPACE, 'ThrottlingException', 'Rate exceeded.');
    }

    const context = input.Context ?? {};
    const parts = messageParts(input.MessageBody);
    const outcome = takeOutcome(account, destination, input.TimeToLive);
    ctx.counters.record(NAME, account.originationNumber, destination, contextTag(context));
    ctx.phones.record(NAME, account.originationNumber, destination, {
      at: now,
      direction: 'out',
      summary: input.MessageBody,
      providerMessageId: messageId,
      status: 'accepted',
    });
    account.lastMessageTo.set(destination, messageId);
    log.push({
      messageId,
      originationNumber: account.originationNumber,
      destination,
      body: input.MessageBody,
      context,
      at: now,
      outcome,
    });
    if (log.length > 1000) log.splice(0, log.length - 1000);

    const event = (eventType: string, isFinal: boolean, afterMs: number) => ({
      eventType,
      eventVersion: '1.0',
      eventTimestamp: now + afterMs,
      isFinal,
      originationPhoneNumber: account.originationNumber,
      destinationPhoneNumber: destination,
      isInternationalSend: countryOf(destination) !== countryOf(account.originationNumber),
      isoCountryCode: countryOf(destination),
      messageId,
      messageRequestTimestamp: now,
      messageEncoding: parts.encoding,
      messageType: input.MessageType ?? 'TRANSACTIONAL',
      messageStatus: eventType.slice('TEXT_'.length),
      messageStatusDescription: STATUS_DESCRIPTIONS[eventType] ?? eventType,
      ...(Object.keys(context).length > 0 ? { context } : {}),
      totalMessageParts: parts.count,
      totalMessagePrice: Number((0.00581 * parts.count).toFixed(5)),
      totalCarrierFee: 0.0,
    });
    const gap = account.settings.statusGapMs;
    const publish = (eventType: string, isFinal: boolean, afterMs: number) =>
      sns.publish(account.topicArn, JSON.stringify(event(eventType, isFinal, afterMs)), { afterMs });
    publish('TEXT_PENDING', false, 0);
    if (outcome === 'TEXT_DELIVERED') {
      publish('TEXT_SUCCESSFUL', false, gap);
      publish('TEXT_DELIVERED', true, 2 * gap);
    } else {
      publish(outcome, true, gap);
    }
    ctx.phones.updateStatus(NAME, messageId, outcome.slice('TEXT_'.length).toLowerCase());
    if (fault.kind === 'timeout') await sleep(fault.hangMs);
    return { MessageId: messageId };
  };

  return {
    name: NAME,
    title: 'AWS End User Messaging SMS',

    routes(app: FastifyInstance, ctx: SandboxContext) {
      mounted = { ctx, sns: new SnsPublisher(NAME, ctx) };
      const { sns } = mounted;
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      sns.routes(app);

      app.post('/_control/accounts', async (request, reply) => {
        const input = controlBody(request.body, accountSchema, reply);
        if (!input) return reply;
        const { account, subscriptionArn } = provision(input);
        reply.code(201);
        return describe(account, subscriptionArn);
      });

      app.put('/_control/accounts/:originationNumber/settings', async (request, reply) => {
        const account = byNumber((request.params as { originationNumber: string }).originationNumber, reply);
        if (!account) return reply;
        const input = controlBody(request.body, settingsSchema, reply);
        if (!input) return reply;
        if (input.messagesPerSecond !== undefined) {
          account.settings.messagesPerSecond = input.messagesPerSecond;
          account.bucket.setRate(input.messagesPerSecond, ctx.clock.now(), input.messagesPerSecond);
        }
        if (input.handoffDelaySeconds !== undefined)
          account.settings.handoffDelaySeconds = input.handoffDelaySeconds;
        if (input.statusGapMs !== undefined) account.settings.statusGapMs = input.statusGapMs;
        return account.settings;
      });

      app.post('/_control/outcomes', async (request, reply) => {
        const input = controlBody(request.body, outcomeSchema, reply);
        if (!input) return reply;
        const account = byNumber(input.originationNumber, reply);
        if (!account) return reply;
        account.outcomes.push({
          eventType: input.eventType,
          remaining: input.count ?? 1,
          ...(input.destination === undefined ? {} : { destination: input.destination }),
        });
        return { ok: true };
      });

      app.post('/_control/opt-outs', async (request, reply) => {
        const input = controlBody(request.body, optOutSchema, reply);
        if (!input) return reply;
        const account = byNumber(input.originationNumber, reply);
        if (!account) return reply;
        if (input.optedOut) account.optedOut.add(input.phoneNumber);
        else account.optedOut.delete(input.phoneNumber);
        return { optedOut: [...account.optedOut] };
      });

      app.post('/_control/inbound', async (request, reply) => {
        const input = controlBody(request.body, inboundSchema, reply);
        if (!input) return reply;
        const account = byNumber(input.originationNumber, reply);
        if (!account) return reply;
        return { inboundMessageId: inbound(account, input.from, input.text) };
      });

      app.get('/_control/messages', async (request) => {
        const { originationNumber } = request.query as { originationNumber?: string };
        return {
          items: log.filter(
            (m) => originationNumber === undefined || m.originationNumber === originationNumber,
          ),
        };
      });

      app.post('/', async (request, reply) => {
        const target = String(request.headers['x-amz-target'] ?? '');
        const verdict = await checkSigV4(
          {
            method: request.method,
            url: request.raw.url ?? request.url,
            headers: request.headers,
            body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
          },
          {
            service: 'sms-voice',
            now: ctx.clock.now(),
            secretFor: (akid) => [...accounts.values()].find((a) => a.accessKeyId === akid)?.secretAccessKey,
          },
        );
        if (!verdict.ok)
          return awsJsonError(reply, 'com.amazon.coral.service', verdict.error, verdict.message, {}, 403);
        let json: unknown;
        try {
          json = JSON.parse((request.body as Buffer).toString('utf8') || '{}');
        } catch {
          return awsJsonError(
            reply,
            'com.amazon.coral.service',
            'SerializationException',
            'The body is not valid JSON.',
          );
        }
        switch (target) {
          case 'PinpointSMSVoiceV2.SendTextMessage':
            return sendText(reply, verdict.accessKeyId, json);
          case 'PinpointSMSVoiceV2.DescribeAccountAttributes':
            return { AccountAttributes: [{ Name: 'ACCOUNT_TIER', Value: 'SANDBOX' }] };
          default:
            return awsJsonError(
              reply,
              'com.amazon.coral.service',
              'UnknownOperationException',
              `the sandbox does not emulate ${target || 'this operation'}`,
            );
        }
      });
    },

    async simulateInbound({ account, user, text }) {
      const found = accounts.get(account);
      if (!found) throw new Error(`no End User Messaging SMS sandbox number ${account}`);
      inbound(found, user, text);
    },

    reset() {
      log.length = 0;
      for (const account of accounts.values()) {
        account.optedOut.clear();
        account.outcomes.length = 0;
        account.lastMessageTo.clear();
      }
    },

    async demoChannel({ webhookUrl }): Promise<DemoChannel> {
      const { ctx } = use();
      const channelId = 'sms';
      const { account } = provision({
        originationNumber: '+12065550152',
        awsAccountId: '123456789012',
        webhookUrl: webhookUrl(channelId),
      });
      return {
        channelId,
        provider: 'eum-sms',
        sender: { originationIdentity: account.originationNumber },
        credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
        options: {
          region: account.region,
          endpoint: `${ctx.publicUrl()}/${NAME}`,
          configurationSetName: account.configurationSetName,
          snsTopicArn: account.topicArn,
        },
        demoUsers: ['+14255550156', '+14255550157'],
      };
    },
  };
}

/** The final event of a message: a scripted failure, TTL expiry when the hand-off outlasts TimeToLive, or delivered. */
function takeOutcome(account: SmsAccount, destination: string, ttlSeconds: number | undefined): string {
  const scripted = account.outcomes.find(
    (o) => o.remaining > 0 && (o.destination === undefined || o.destination === destination),
  );
  if (scripted) {
    scripted.remaining -= 1;
    if (scripted.remaining <= 0) account.outcomes.splice(account.outcomes.indexOf(scripted), 1);
    return scripted.eventType;
  }
  if (account.settings.handoffDelaySeconds > (ttlSeconds ?? 259_200)) return 'TEXT_TTL_EXPIRED';
  return 'TEXT_DELIVERED';
}

/** GSM-7 fits 160 characters in one part (153 when split); anything else is UCS-2: 70 (67). */
function messageParts(body: string): { encoding: 'GSM' | 'UCS2'; count: number } {
  const gsm = /^[\n\r\u0020-\u007e£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà€]*$/.test(body);
  const length = [...body].length;
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return { encoding: gsm ? 'GSM' : 'UCS2', count: length <= single ? 1 : Math.ceil(length / multi) };
}

function countryOf(phone: string): string {
  return parsePhoneNumberFromString(phone)?.country ?? 'US';
}

/**
 * What identifies the sender's message for duplicate counting: the Herald message id Herald's adapter puts in
 * Context, or, from another client, the whole Context.
 */
function contextTag(context: Readonly<Record<string, string>>): string | undefined {
  if (context.heraldMessageId !== undefined) return context.heraldMessageId;
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? undefined : entries.map(([k, v]) => `${k}=${v}`).join('&');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
