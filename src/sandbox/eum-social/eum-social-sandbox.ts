import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { restJsonError } from '../aws/aws-error-reply.js';
import { checkSigV4 } from '../aws/sigv4-check.js';
import { controlBody } from '../control-body.js';
import type { MetaErrorReply } from '../meta/meta-error.js';
import { registerWhatsAppControlRoutes, whatsAppSettingsSchema } from '../meta/whatsapp-control-routes.js';
import { type MetaEntry, type WhatsAppAccount, WhatsAppEngine } from '../meta/whatsapp-engine.js';
import type { DemoChannel, SandboxContext, SandboxProvider } from '../sandbox-provider.js';
import { SnsPublisher } from '../sns/sns-publisher.js';

const NAME = 'eum-social';

interface AwsPhone {
  /** `phone-number-id-…`: what SendWhatsAppMessage names. */
  readonly id: string;
  readonly arn: string;
  readonly wabaArn: string;
  readonly region: string;
  readonly awsAccountId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly topicArn: string;
  readonly account: WhatsAppAccount;
}

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
  originationPhoneNumberId: z
    .string()
    .regex(/^phone-number-id-[A-Za-z0-9]+$/)
    .optional(),
  metaPhoneNumberId: z
    .string()
    .regex(/^\d{1,32}$/)
    .optional(),
  wabaId: z
    .string()
    .regex(/^\d{1,32}$/)
    .optional(),
  displayPhoneNumber: z
    .string()
    .regex(/^\+?[1-9]\d{4,14}$/)
    .optional(),
  topicArn: z
    .string()
    .regex(/^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/)
    .optional(),
  /** The HTTP(S) endpoint subscribed to the event destination topic: Herald's webhook URL. */
  webhookUrl: z.url().optional(),
  signatureVersion: z.enum(['1', '2']).optional(),
  settings: whatsAppSettingsSchema.optional(),
});

const sendSchema = z.strictObject({
  originationPhoneNumberId: z.string().min(1).max(100),
  message: z.string().min(1).max(2_048_000),
  metaApiVersion: z.string().min(1),
});

const DEMO = {
  originationPhoneNumberId: 'phone-number-id-0123456789abcdef0123456789abcdef',
  metaPhoneNumberId: '106540352242923',
  wabaId: '102290129340399',
  displayPhoneNumber: '15550783882',
  awsAccountId: '123456789012',
  region: 'us-east-1',
};

/**
 * AWS End User Messaging Social, wire-compatible with `@aws-sdk/client-socialmessaging`: restJson1
 * `POST /v1/whatsapp/send` (SigV4 `social-messaging`, verified with the provisioned secret), the base64 `message`
 * run through the same WhatsApp rules as the Meta sandbox, errors as `x-amzn-ErrorType`, and every event delivered
 * to the WABA's SNS topic as AWS wraps it (`whatsAppWebhookEntry` = one Meta entry as a JSON string).
 */
export function createEumSocialSandbox(): SandboxProvider {
  let mounted: { ctx: SandboxContext; engine: WhatsAppEngine; sns: SnsPublisher } | undefined;
  const phones = new Map<string, AwsPhone>();

  const use = () => {
    if (!mounted) throw new Error('the End User Messaging Social sandbox is not mounted');
    return mounted;
  };

  const provision = (input: z.output<typeof accountSchema>) => {
    const { ctx, engine, sns } = use();
    const region = input.region ?? 'us-east-1';
    const awsAccountId =
      input.awsAccountId ?? String(100_000_000_000 + Math.floor(ctx.random() * 899_999_999_999));
    const id = input.originationPhoneNumberId ?? `phone-number-id-${randomBytes(16).toString('hex')}`;
    const topicArn = input.topicArn ?? `arn:aws:sns:${region}:${awsAccountId}:herald-whatsapp-events`;
    let phone: AwsPhone | undefined;
    const account = engine.provision(
      {
        ...(input.metaPhoneNumberId === undefined ? {} : { phoneNumberId: input.metaPhoneNumberId }),
        ...(input.displayPhoneNumber === undefined ? {} : { displayPhoneNumber: input.displayPhoneNumber }),
        ...(input.wabaId === undefined ? {} : { wabaId: input.wabaId }),
        ...(input.settings === undefined ? {} : { settings: definedOnly(input.settings) }),
      },
      (entry, { afterMs }) => {
        if (phone) sns.publish(phone.topicArn, JSON.stringify(awsEvent(ctx, phone, entry)), { afterMs });
      },
    );
    phone = {
      id,
      arn: `arn:aws:social-messaging:${region}:${awsAccountId}:phone-number-id/${id.slice('phone-number-id-'.length)}`,
      wabaArn: `arn:aws:social-messaging:${region}:${awsAccountId}:waba/${randomBytes(16).toString('hex')}`,
      region,
      awsAccountId,
      accessKeyId: input.accessKeyId ?? `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: input.secretAccessKey ?? randomBytes(30).toString('base64url'),
      topicArn,
      account,
    };
    phones.set(id, phone);
    if (input.signatureVersion) sns.signatureVersion = input.signatureVersion;
    const subscriptionArn = input.webhookUrl
      ? sns.subscribe({ topicArn, endpoint: input.webhookUrl })
      : undefined;
    return { phone, subscriptionArn };
  };

  const describe = (phone: AwsPhone, subscriptionArn: string | undefined) => ({
    originationPhoneNumberId: phone.id,
    arn: phone.arn,
    metaPhoneNumberId: phone.account.phoneNumberId,
    displayPhoneNumber: phone.account.displayPhoneNumber,
    wabaId: phone.account.wabaId,
    region: phone.region,
    awsAccountId: phone.awsAccountId,
    accessKeyId: phone.accessKeyId,
    secretAccessKey: phone.secretAccessKey,
    topicArn: phone.topicArn,
    subscriptionArn: subscriptionArn ?? null,
    settings: phone.account.settings,
  });

  /** SigV4 with the provisioned secret; answers AWS's own 403 errors when it does not hold. */
  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<string | undefined> => {
    const verdict = await checkSigV4(
      {
        method: request.method,
        url: request.raw.url ?? request.url,
        headers: request.headers,
        body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      },
      {
        service: 'social-messaging',
        now: use().ctx.clock.now(),
        secretFor: (akid) => [...phones.values()].find((p) => p.accessKeyId === akid)?.secretAccessKey,
      },
    );
    if (verdict.ok) return verdict.accessKeyId;
    restJsonError(reply, 403, verdict.error, verdict.message);
    return undefined;
  };

  /** The phone the request names, if the caller's keys own it. */
  const phoneFor = (idOrArn: string, accessKeyId: string): AwsPhone | undefined => {
    const phone = phones.get(idOrArn) ?? [...phones.values()].find((p) => p.arn === idOrArn);
    return phone?.accessKeyId === accessKeyId ? phone : undefined;
  };

  return {
    name: NAME,
    title: 'AWS End User Messaging Social',

    routes(app: FastifyInstance, ctx: SandboxContext) {
      mounted = { ctx, engine: new WhatsAppEngine(NAME, ctx), sns: new SnsPublisher(NAME, ctx) };
      const { engine, sns } = mounted;
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      sns.routes(app);

      app.post('/_control/accounts', async (request, reply) => {
        const input = controlBody(request.body, accountSchema, reply);
        if (!input) return reply;
        const { phone, subscriptionArn } = provision(input);
        reply.code(201);
        return describe(phone, subscriptionArn);
      });

      registerWhatsAppControlRoutes(app, engine);

      app.post('/v1/whatsapp/send', async (request, reply) => {
        const accessKeyId = await authenticate(request, reply);
        if (accessKeyId === undefined) return reply;
        let json: unknown;
        try {
          json = JSON.parse((request.body as Buffer).toString('utf8'));
        } catch {
          return restJsonError(reply, 400, 'ValidationException', 'The request body is not valid JSON.');
        }
        const input = sendSchema.safeParse(json);
        if (!input.success) {
          const issue = input.error.issues[0];
          return restJsonError(
            reply,
            400,
            'ValidationException',
            `1 validation error detected: Value at '${issue?.path.join('.') ?? 'body'}' failed to satisfy constraint: ${issue?.message ?? 'invalid'}`,
          );
        }
        const phone = phoneFor(input.data.originationPhoneNumberId, accessKeyId);
        if (!phone) return restJsonError(reply, 404, 'ResourceNotFoundException', 'Phone number not found.');
        let body: unknown;
        try {
          body = JSON.parse(Buffer.from(input.data.message, 'base64').toString('utf8'));
        } catch {
          return restJsonError(
            reply,
            400,
            'InvalidParametersException',
            'message must be the Meta message JSON.',
          );
        }

        const fault = ctx.faults.decide(NAME);
        if (fault.latencyMs > 0) await sleep(fault.latencyMs);
        if (fault.kind === 'error')
          return restJsonError(reply, 500, 'InternalServiceException', 'Internal service error.');
        if (fault.kind === 'throttle')
          return restJsonError(reply, 429, 'ThrottledRequestException', 'Rate exceeded.');
        const result = engine.handle(phone.account, body);
        if (fault.kind === 'timeout') await sleep(fault.hangMs);
        if (!result.ok) return awsFromMeta(reply, result.error);
        return result.wamid === undefined ? {} : { messageId: result.wamid };
      });

      app.get('/v1/whatsapp/waba/phone/details', async (request, reply) => {
        const accessKeyId = await authenticate(request, reply);
        if (accessKeyId === undefined) return reply;
        const { id } = request.query as { id?: string };
        const phone = id === undefined ? undefined : phoneFor(id, accessKeyId);
        if (!phone) return restJsonError(reply, 404, 'ResourceNotFoundException', 'Phone number not found.');
        return {
          phoneNumber: {
            arn: phone.arn,
            phoneNumber: `+${phone.account.displayPhoneNumber}`,
            phoneNumberId: phone.id,
            metaPhoneNumberId: phone.account.phoneNumberId,
            displayPhoneNumberName: 'Herald Sandbox',
            displayPhoneNumber: `+${phone.account.displayPhoneNumber}`,
            qualityRating: 'GREEN',
          },
          linkedWhatsAppBusinessAccountId: phone.wabaArn.split('/').pop(),
        };
      });
    },

    async simulateInbound({ account, user, text }) {
      const { engine } = use();
      const target = engine.account(account);
      if (!target) throw new Error(`no End User Messaging Social sandbox account ${account}`);
      engine.inbound(target, { phoneNumberId: account, from: user, type: 'text', text });
    },

    reset() {
      mounted?.engine.reset();
    },

    async demoChannel({ webhookUrl }): Promise<DemoChannel> {
      const { ctx } = use();
      const channelId = 'whatsapp-aws';
      const { phone } = provision({ ...DEMO, webhookUrl: webhookUrl(channelId) });
      return {
        channelId,
        provider: 'eum-social',
        sender: { originationPhoneNumberId: phone.id, metaPhoneNumberId: phone.account.phoneNumberId },
        credentials: { accessKeyId: phone.accessKeyId, secretAccessKey: phone.secretAccessKey },
        options: {
          region: phone.region,
          endpoint: `${ctx.publicUrl()}/${NAME}`,
          snsTopicArn: phone.topicArn,
        },
        demoUsers: ['+15550100001', '+15550100002'],
      };
    },
  };
}

/** AWS's event envelope around one Meta entry (provider-facts §2.2). */
function awsEvent(ctx: SandboxContext, phone: AwsPhone, entry: MetaEntry): Record<string, unknown> {
  const now = new Date(ctx.clock.now()).toISOString();
  return {
    context: {
      MetaWabaIds: [{ wabaId: phone.account.wabaId, arn: phone.wabaArn }],
      MetaPhoneNumberIds: [{ metaPhoneNumberId: phone.account.phoneNumberId, arn: phone.arn }],
    },
    whatsAppWebhookEntry: JSON.stringify(entry),
    aws_account_id: phone.awsAccountId,
    // AWS stamps nanoseconds.
    message_timestamp: now.replace(/\.(\d{3})Z$/, '.$1000000Z'),
    messageId: randomUUID(),
  };
}

/** How a Meta error surfaces through AWS: throttling and Meta outages as AWS's own, the rest as invalid parameters. */
function awsFromMeta(reply: FastifyReply, error: MetaErrorReply): FastifyReply {
  const text = `${error.body.error.message}. ${error.body.error.error_data.details}`;
  if ([4, 80007, 130429, 131056].includes(error.code))
    return restJsonError(reply, 429, 'ThrottledRequestException', text);
  if ([131000, 131016, 131057].includes(error.code))
    return restJsonError(reply, 502, 'DependencyException', text);
  if (error.code === 190 || error.code === 0)
    return restJsonError(reply, 403, 'AccessDeniedByMetaException', text);
  return restJsonError(reply, 400, 'InvalidParametersException', text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function definedOnly<T extends object>(value: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}
