import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { controlBody } from '../control-body.js';
import { type MetaErrorReply, metaError } from '../meta/meta-error.js';
import { registerWhatsAppControlRoutes, whatsAppSettingsSchema } from '../meta/whatsapp-control-routes.js';
import { type MetaEntry, type WhatsAppAccount, WhatsAppEngine } from '../meta/whatsapp-engine.js';
import type { DemoChannel, SandboxContext, SandboxProvider } from '../sandbox-provider.js';

const NAME = 'whatsapp';

interface Credentials {
  readonly accessToken: string;
  readonly appSecret: string;
  readonly verifyToken: string;
  webhookUrl: string | undefined;
  /** Entries waiting to go out together (with `webhookBatchMs`). */
  pending?: { entries: MetaEntry[]; timer: NodeJS.Timeout | undefined };
}

const accountSchema = z.strictObject({
  phoneNumberId: z
    .string()
    .regex(/^\d{1,32}$/)
    .optional(),
  displayPhoneNumber: z
    .string()
    .regex(/^\+?[1-9]\d{4,14}$/)
    .optional(),
  wabaId: z
    .string()
    .regex(/^\d{1,32}$/)
    .optional(),
  accessToken: z.string().min(16).optional(),
  appSecret: z.string().min(8).optional(),
  verifyToken: z.string().min(8).optional(),
  webhookUrl: z.url().optional(),
  /** Call the webhook with Meta's GET verification now (default true when a webhook URL is given). */
  verify: z.boolean().optional(),
  settings: whatsAppSettingsSchema.optional(),
});

const webhookSchema = z.strictObject({ webhookUrl: z.url(), verify: z.boolean().optional() });

/** The demo account's fixed ids, so `npm start` keeps the same channel across restarts. */
const DEMO = {
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '15550783881',
  wabaId: '102290129340398',
};

/**
 * Meta's WhatsApp Cloud API, wire-compatible: `POST /{version}/{phone-number-id}/messages` (sends, mark-as-read,
 * typing indicator) with Bearer tokens, `GET /{version}/{phone-number-id}`, `GET /{version}/{waba-id}/message_templates`,
 * and webhooks signed with `X-Hub-Signature-256` exactly as Meta signs them (non-ASCII escaped as \uXXXX).
 * Control routes under `/whatsapp/_control`.
 */
export function createWhatsAppSandbox(): SandboxProvider {
  let mounted: { ctx: SandboxContext; engine: WhatsAppEngine } | undefined;
  const credentials = new Map<string, Credentials>();

  const use = () => {
    if (!mounted) throw new Error('the WhatsApp sandbox is not mounted');
    return mounted;
  };

  const provision = (input: z.output<typeof accountSchema>) => {
    const { ctx, engine } = use();
    const creds: Credentials = {
      accessToken: input.accessToken ?? `EAAG${randomBytes(24).toString('hex')}`,
      appSecret: input.appSecret ?? randomBytes(16).toString('hex'),
      verifyToken: input.verifyToken ?? randomBytes(12).toString('hex'),
      webhookUrl: input.webhookUrl,
    };
    const account = engine.provision(
      {
        ...(input.phoneNumberId === undefined ? {} : { phoneNumberId: input.phoneNumberId }),
        ...(input.displayPhoneNumber === undefined ? {} : { displayPhoneNumber: input.displayPhoneNumber }),
        ...(input.wabaId === undefined ? {} : { wabaId: input.wabaId }),
        ...(input.settings === undefined ? {} : { settings: definedOnly(input.settings) }),
      },
      (entry, { afterMs }) => deliver(ctx, creds, entry, afterMs, () => account.settings.webhookBatchMs),
    );
    credentials.set(account.phoneNumberId, creds);
    return { account, creds };
  };

  const describe = (account: WhatsAppAccount, creds: Credentials) => ({
    phoneNumberId: account.phoneNumberId,
    displayPhoneNumber: account.displayPhoneNumber,
    wabaId: account.wabaId,
    accessToken: creds.accessToken,
    appSecret: creds.appSecret,
    verifyToken: creds.verifyToken,
    webhookUrl: creds.webhookUrl ?? null,
    settings: account.settings,
  });

  /** Meta's GET subscription check against the engine, as the App Dashboard does when a callback URL is saved. */
  const verifyWebhook = async (creds: Credentials) => {
    if (!creds.webhookUrl) return undefined;
    const challenge = String(1_000_000_000 + Math.floor(use().ctx.random() * 1_000_000_000));
    const url = new URL(creds.webhookUrl);
    url.searchParams.set('hub.mode', 'subscribe');
    url.searchParams.set('hub.verify_token', creds.verifyToken);
    url.searchParams.set('hub.challenge', challenge);
    try {
      const answer = await use().ctx.webhooks.deliverNow({
        method: 'GET',
        url: url.toString(),
        headers: {},
        body: '',
      });
      return { verified: answer.status === 200 && answer.body === challenge, status: answer.status };
    } catch (error) {
      return { verified: false, status: 0, error: error instanceof Error ? error.message : String(error) };
    }
  };

  /** Bearer token, then the object: Graph answers 190 for a bad token and 100 for an object the token cannot reach. */
  const authorize = (
    request: FastifyRequest,
    objectId: string,
    kind: 'phone' | 'waba',
  ): MetaErrorReply | WhatsAppAccount[] => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const owned: string[] = [];
    if (token !== undefined) for (const [id, c] of credentials) if (c.accessToken === token) owned.push(id);
    if (owned.length === 0) return metaError(190, 'Invalid OAuth access token - Cannot parse access token');
    const accounts = owned
      .map((id) => use().engine.account(id))
      .filter((a): a is WhatsAppAccount => a !== undefined)
      .filter((a) => (kind === 'phone' ? a.phoneNumberId === objectId : a.wabaId === objectId));
    if (accounts.length === 0) {
      return metaError(
        100,
        `Unsupported ${request.method.toLowerCase()} request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
      );
    }
    return accounts;
  };

  return {
    name: NAME,
    title: 'WhatsApp Cloud API (Meta)',

    routes(app: FastifyInstance, ctx: SandboxContext) {
      mounted = { ctx, engine: new WhatsAppEngine(NAME, ctx) };
      const { engine } = mounted;
      keepRawBodies(app);

      app.post('/_control/accounts', async (request, reply) => {
        const input = controlBody(request.body, accountSchema, reply);
        if (!input) return reply;
        const { account, creds } = provision(input);
        const verification = input.verify === false ? undefined : await verifyWebhook(creds);
        reply.code(201);
        return { ...describe(account, creds), ...(verification ? { verification } : {}) };
      });

      app.put('/_control/accounts/:phoneNumberId/webhook', async (request, reply) => {
        const { phoneNumberId } = request.params as { phoneNumberId: string };
        const creds = credentials.get(phoneNumberId);
        if (!creds) return reply.code(404).send({ error: { message: `no account ${phoneNumberId}` } });
        const input = controlBody(request.body, webhookSchema, reply);
        if (!input) return reply;
        creds.webhookUrl = input.webhookUrl;
        const verification = input.verify === false ? undefined : await verifyWebhook(creds);
        return { webhookUrl: creds.webhookUrl, ...(verification ? { verification } : {}) };
      });

      registerWhatsAppControlRoutes(app, engine);

      app.post('/:version/:phoneNumberId/messages', async (request, reply) => {
        const { version, phoneNumberId } = request.params as { version: string; phoneNumberId: string };
        if (!/^v\d+\.\d+$/.test(version))
          return sendMeta(reply, metaError(100, `Unknown API version ${version}`));
        const auth = authorize(request, phoneNumberId, 'phone');
        if (!Array.isArray(auth)) return sendMeta(reply, auth);
        const account = auth[0] as WhatsAppAccount;
        const body = jsonOf(request.body);
        if (body === undefined) return sendMeta(reply, metaError(100, 'the request body is not valid JSON'));

        const fault = ctx.faults.decide(NAME);
        if (fault.latencyMs > 0) await sleep(fault.latencyMs);
        if (fault.kind === 'error')
          return sendMeta(reply, metaError(131000, 'Something went wrong', { status: 500 }));
        if (fault.kind === 'throttle') {
          return sendMeta(
            reply,
            metaError(130429, 'Cloud API message throughput reached', {
              status: account.settings.throttleHttpStatus,
            }),
          );
        }
        const result = engine.handle(account, body);
        // A lost answer: the message is accepted, but the client hears nothing until it gives up.
        if (fault.kind === 'timeout') await sleep(fault.hangMs);
        if (!result.ok) return sendMeta(reply, result.error);
        return reply.code(200).send(result.body);
      });

      app.get('/:version/:objectId/message_templates', async (request, reply) => {
        const { version, objectId } = request.params as { version: string; objectId: string };
        const auth = authorize(request, objectId, 'waba');
        if (!Array.isArray(auth)) return sendMeta(reply, auth);
        const query = request.query as { limit?: string; after?: string };
        const limit = Math.min(Math.max(Number(query.limit ?? 25) || 25, 1), 100);
        const start =
          query.after === undefined ? 0 : Number(Buffer.from(query.after, 'base64url').toString('utf8')) || 0;
        const all = engine.templates.list(objectId);
        const page = all.slice(start, start + limit);
        const end = start + page.length;
        const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
        const self = `${ctx.publicUrl()}/${NAME}/${version}/${objectId}/message_templates`;
        return {
          data: page.map((t) => ({
            name: t.name,
            parameter_format: t.parameter_format,
            components: t.components,
            language: t.language,
            status: t.status,
            category: t.category,
            id: t.id,
          })),
          paging: {
            cursors: { before: cursor(start), after: cursor(end) },
            ...(end < all.length ? { next: `${self}?limit=${limit}&after=${cursor(end)}` } : {}),
          },
        };
      });

      app.get('/:version/:objectId', async (request, reply) => {
        const { objectId } = request.params as { version: string; objectId: string };
        const auth = authorize(request, objectId, 'phone');
        if (!Array.isArray(auth)) return sendMeta(reply, auth);
        const account = auth[0] as WhatsAppAccount;
        return {
          id: account.phoneNumberId,
          display_phone_number: `+${account.displayPhoneNumber}`,
          verified_name: 'Herald Sandbox',
          quality_rating: 'GREEN',
          code_verification_status: 'VERIFIED',
        };
      });
    },

    async simulateInbound({ account, user, text }) {
      const { engine } = use();
      const target = engine.account(account);
      if (!target) throw new Error(`no WhatsApp sandbox account ${account}`);
      engine.inbound(target, { phoneNumberId: account, from: user, type: 'text', text });
    },

    reset() {
      mounted?.engine.reset();
    },

    async demoChannel({ webhookUrl }): Promise<DemoChannel> {
      const { ctx } = use();
      const channelId = 'whatsapp';
      const { account, creds } = provision({ ...DEMO, webhookUrl: webhookUrl(channelId) });
      return {
        channelId,
        provider: 'whatsapp-cloud',
        sender: { phoneNumberId: account.phoneNumberId, wabaId: account.wabaId },
        credentials: {
          accessToken: creds.accessToken,
          appSecret: creds.appSecret,
          verifyToken: creds.verifyToken,
        },
        options: { baseUrl: `${ctx.publicUrl()}/${NAME}` },
        demoUsers: ['+15550100001', '+15550100002'],
      };
    },
  };
}

function deliver(
  ctx: SandboxContext,
  creds: Credentials,
  entry: MetaEntry,
  afterMs: number,
  batchMs: () => number,
): void {
  if (!creds.webhookUrl) return;
  const window = batchMs();
  if (window <= 0) {
    post(ctx, creds, [entry], afterMs);
    return;
  }
  // Batched: the entry joins the account's pending webhook when it falls due; the webhook leaves `window` ms after
  // its first entry (at most 100 entries each).
  setTimeout(() => {
    creds.pending ??= { entries: [], timer: undefined };
    const pending = creds.pending;
    pending.entries.push(entry);
    if (pending.entries.length >= 100) flush(ctx, creds);
    else pending.timer ??= setTimeout(() => flush(ctx, creds), window);
  }, afterMs);
}

function flush(ctx: SandboxContext, creds: Credentials): void {
  const pending = creds.pending;
  if (!pending || pending.entries.length === 0) return;
  if (pending.timer) clearTimeout(pending.timer);
  const entries = pending.entries.splice(0);
  pending.timer = undefined;
  post(ctx, creds, entries, 0);
}

function post(ctx: SandboxContext, creds: Credentials, entries: MetaEntry[], afterMs: number): void {
  if (!creds.webhookUrl) return;
  const body = metaJson({ object: 'whatsapp_business_account', entry: entries });
  const signature = createHmac('sha256', creds.appSecret).update(body, 'utf8').digest('hex');
  ctx.webhooks.emit(
    {
      url: creds.webhookUrl,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
      body,
    },
    { afterMs },
  );
}

/** Meta serialises with every non-ASCII character escaped (`é` -> `\u00e9`) and signs those bytes. */
function metaJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function sendMeta(reply: FastifyReply, error: MetaErrorReply): FastifyReply {
  return reply.code(error.status).send(error.body);
}

function keepRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

function jsonOf(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw)) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function definedOnly<T extends object>(value: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}
