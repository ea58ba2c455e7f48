import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DemoChannel, SandboxContext, SandboxProvider } from '../sandbox-provider.js';
import { hex, TwilioSandboxAccount, type TwilioSandboxMessage } from './twilio-sandbox-account.js';

const NAME = 'twilio';
const API_VERSION = '2010-04-01';
const PHONE = /^(whatsapp:)?\+[1-9]\d{1,14}$/;
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const START_WORDS = new Set(['START', 'UNSTOP', 'YES']);
const HELP_WORDS = new Set(['HELP', 'INFO']);
/** Twilio's magic test numbers (test credentials): each makes a send fail the way a real one would. */
const MAGIC_TO: Readonly<Record<string, [number, string]>> = {
  '+15005550001': [21211, "The 'To' number +15005550001 is not a valid phone number."],
  '+15005550002': [
    21612,
    "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number via SMS.",
  ],
  '+15005550009': [21614, "'To' number +15005550009 is not a valid mobile number"],
};

type Params = ReadonlyMap<string, readonly string[]>;

/** An error on Twilio's wire (`{code, message, more_info, status}`), or a control-route error (no code). */
class TwilioHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€');

/** SMS segments: GSM-7 fits 160 units (153 when split), anything else is UCS-2 with 70 (67). */
export function smsSegments(body: string): number {
  if (body.length === 0) return 1;
  let units = 0;
  let gsm = true;
  for (const char of body) {
    if (GSM_BASIC.has(char)) units += 1;
    else if (GSM_EXTENDED.has(char)) units += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return units <= 160 ? 1 : Math.ceil(units / 153);
  return body.length <= 70 ? 1 : Math.ceil(body.length / 67);
}

const rfc2822 = (ms: number) => new Date(ms).toUTCString().replace('GMT', '+0000');
const yymmddhhmm = (ms: number) => new Date(ms).toISOString().replace(/\D/g, '').slice(2, 12);

const schemas = {
  number: z.strictObject({
    phoneNumber: z.string().regex(PHONE),
    smsUrl: z.url().optional(),
    messagesPerSecond: z.number().positive().max(10_000).optional(),
  }),
  outcome: z.strictObject({
    to: z.string().min(1).optional(),
    status: z.enum(['delivered', 'undelivered', 'failed']),
    errorCode: z.number().int().positive().optional(),
  }),
  throttle: z.strictObject({ requestsPerSecond: z.number().positive().nullable() }),
  inbound: z.strictObject({
    from: z.string().regex(PHONE),
    to: z.string().regex(PHONE),
    body: z.string().max(1600).optional(),
    media: z
      .array(z.strictObject({ url: z.url(), contentType: z.string().min(3) }))
      .max(10)
      .optional(),
  }),
};
const accountSchema = z.strictObject({
  accountSid: z
    .string()
    .regex(/^AC[0-9a-f]{32}$/)
    .optional(),
  authToken: z.string().min(16).optional(),
  numbers: z.array(schemas.number).max(100).optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new TwilioHttpError(
    400,
    undefined,
    `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
  );
}

/**
 * The Twilio Programmable Messaging sandbox, mounted at `/twilio`: `Messages.json` with Basic auth (Auth Token or
 * API key), Twilio's validation errors and codes, the snake_case message resource (201, `queued`), signed status
 * callbacks (queued, sent, then delivered, or undelivered/failed with an ErrorCode, scriptable per recipient),
 * paced by each number's queue, signed incoming messages to the number's webhook (with Advanced Opt-Out: STOP
 * makes later sends fail with 21610), optional 429 throttling, and the magic test numbers.
 *
 * Control routes under `/twilio/_control`: provision accounts and numbers, script outcomes, throttle, simulate an
 * incoming message.
 *
 * @example
 * // POST /twilio/_control/accounts {"numbers": [{"phoneNumber": "+15005550006", "smsUrl": "https://herald/webhooks/a/sms"}]}
 */
export function createTwilioSandbox(): SandboxProvider {
  const accounts = new Map<string, TwilioSandboxAccount>();
  let context: SandboxContext | undefined;
  const ctx = (): SandboxContext => {
    if (!context) throw new Error('the Twilio sandbox is not mounted');
    return context;
  };
  const now = () => ctx().clock.now();

  function accountOrThrow(sid: string): TwilioSandboxAccount {
    const account = accounts.get(sid);
    if (!account) throw new TwilioHttpError(404, undefined, `no Twilio account ${sid} in the sandbox`);
    return account;
  }

  function provision(input: z.output<typeof accountSchema>): TwilioSandboxAccount {
    const sid = input.accountSid ?? `AC${hex(32)}`;
    let account = accounts.get(sid);
    if (!account) {
      account = new TwilioSandboxAccount(sid, input.authToken ?? hex(32));
      accounts.set(sid, account);
    } else if (input.authToken) {
      account.authToken = input.authToken;
    }
    for (const n of input.numbers ?? []) account.addNumber(n.phoneNumber, n.smsUrl, n.messagesPerSecond);
    return account;
  }

  /** The sandbox's own signer, written apart from Herald's verifier so that one cannot mask a bug in the other. */
  function signedPost(account: TwilioSandboxAccount, url: string, params: [string, string][]) {
    const data = [...params]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .reduce((acc, [k, v]) => acc + k + v, url);
    return {
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'TwilioProxy/1.1',
        'i-twilio-idempotency-token': randomUUID(),
        'x-twilio-signature': createHmac('sha1', account.authToken)
          .update(Buffer.from(data, 'utf8'))
          .digest('base64'),
      },
      body: new URLSearchParams(params).toString(),
    };
  }

  function authenticate(request: FastifyRequest, sid: string): TwilioSandboxAccount {
    const header = request.headers.authorization ?? '';
    const decoded = header.startsWith('Basic ')
      ? Buffer.from(header.slice(6), 'base64').toString('utf8')
      : '';
    const colon = decoded.indexOf(':');
    const account = accounts.get(sid);
    if (colon < 0 || !account?.authenticates(decoded.slice(0, colon), decoded.slice(colon + 1))) {
      throw new TwilioHttpError(401, 20003, 'Authenticate');
    }
    return account;
  }

  function statusAt(message: TwilioSandboxMessage, at: number) {
    let current = message.timeline[0];
    for (const entry of message.timeline) if (entry.at <= at) current = entry;
    return current;
  }

  function view(message: TwilioSandboxMessage): Record<string, unknown> {
    const current = statusAt(message, now());
    return {
      ...message.resource,
      status: current?.status ?? 'queued',
      error_code: current?.errorCode ?? null,
      date_sent: message.timeline.find((t) => t.status === 'sent' && t.at <= now()) ? rfc2822(now()) : null,
    };
  }

  async function createMessage(account: TwilioSandboxAccount, params: Params) {
    const get = (name: string) => params.get(name)?.[0];
    const to = get('To');
    const messagingServiceSid = get('MessagingServiceSid');
    let from = get('From');
    const body = get('Body') ?? '';
    const mediaUrls = params.get('MediaUrl') ?? [];
    const statusCallback = get('StatusCallback');
    if (!to) throw new TwilioHttpError(400, 21604, "A 'To' phone number is required.");
    if (!from && !messagingServiceSid)
      throw new TwilioHttpError(400, 21603, "A 'From' phone number is required.");
    if (!body && mediaUrls.length === 0 && !get('ContentSid')) {
      throw new TwilioHttpError(400, 21602, 'Message body is required.');
    }
    if (!PHONE.test(to))
      throw new TwilioHttpError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    const magic = MAGIC_TO[to];
    if (magic) throw new TwilioHttpError(400, magic[0], magic[1]);
    if (messagingServiceSid !== undefined) {
      if (!/^MG[0-9a-f]{32}$/.test(messagingServiceSid)) {
        throw new TwilioHttpError(400, 21705, `The Messaging Service Sid ${messagingServiceSid} is invalid.`);
      }
      from = [...account.numbers.keys()][0];
      if (!from) throw new TwilioHttpError(400, 21704, 'The Messaging Service contains no phone numbers.');
    }
    if (!from || !account.numbers.has(from)) {
      throw new TwilioHttpError(
        400,
        21606,
        `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
      );
    }
    if (body.length > 1600) {
      throw new TwilioHttpError(
        400,
        21617,
        'The concatenated message body exceeds the 1600 character limit.',
      );
    }
    if (mediaUrls.length > 10 || mediaUrls.some((u) => !/^https?:\/\/\S+$/.test(u))) {
      throw new TwilioHttpError(400, 21620, 'Invalid media URL(s)');
    }
    if (statusCallback !== undefined && !URL.canParse(statusCallback)) {
      throw new TwilioHttpError(400, 21609, 'Invalid StatusCallback url');
    }
    if (account.optedOut.has(`${from}|${to}`)) {
      throw new TwilioHttpError(400, 21610, 'Attempt to send to unsubscribed recipient');
    }

    const decision = ctx().faults.decide(NAME);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.kind === 'error') throw new TwilioHttpError(500, 20500, 'Internal Server Error');
    if (decision.kind === 'throttle') throw new TwilioHttpError(429, 20429, 'Too Many Requests');

    const at = now();
    const sid = `SM${hex(32)}`;
    const uri = `/${API_VERSION}/Accounts/${account.sid}/Messages/${sid}`;
    const outcome = account.outcomeFor(to);
    const queued = account.queueDelay(from, at);
    const timeline: TwilioSandboxMessage['timeline'] = [{ status: 'queued', at }];
    if (outcome.status === 'failed') {
      timeline.push({ status: 'failed', at: at + queued + 5, errorCode: outcome.errorCode ?? 30008 });
    } else {
      timeline.push({ status: 'sent', at: at + queued + 5 });
      timeline.push({
        status: outcome.status,
        at: at + queued + 15,
        ...(outcome.status === 'undelivered' ? { errorCode: outcome.errorCode ?? 30003 } : {}),
      });
    }
    const message: TwilioSandboxMessage = {
      resource: {
        account_sid: account.sid,
        api_version: API_VERSION,
        body,
        date_created: rfc2822(at),
        date_sent: null,
        date_updated: rfc2822(at),
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from,
        messaging_service_sid: messagingServiceSid ?? null,
        num_media: String(mediaUrls.length),
        num_segments: String(smsSegments(body)),
        price: null,
        price_unit: 'USD',
        sid,
        status: 'queued',
        subresource_uris: { media: `${uri}/Media.json` },
        to,
        uri: `${uri}.json`,
      },
      timeline,
    };
    account.messages.set(sid, message);

    const tag = statusCallback === undefined ? undefined : messageIdIn(statusCallback);
    ctx().counters.record(NAME, from, to, tag);
    const final = timeline[timeline.length - 1];
    ctx().phones.record(NAME, from, to, {
      at,
      direction: 'out',
      summary: body || `[media ${mediaUrls.length}]`,
      providerMessageId: sid,
      status: final?.status ?? 'queued',
    });

    if (statusCallback !== undefined) {
      for (const step of timeline) {
        const callbackParams: [string, string][] = [
          ['MessageSid', sid],
          ['SmsSid', sid],
          ['MessageStatus', step.status],
          ['SmsStatus', step.status],
          ['AccountSid', account.sid],
          ['From', from],
          ['To', to],
          ['ApiVersion', API_VERSION],
        ];
        if (messagingServiceSid !== undefined)
          callbackParams.push(['MessagingServiceSid', messagingServiceSid]);
        if (step.errorCode !== undefined) callbackParams.push(['ErrorCode', String(step.errorCode)]);
        if (step.status === 'delivered' || step.status === 'undelivered') {
          callbackParams.push(['RawDlrDoneDate', yymmddhhmm(step.at)]);
        }
        ctx().webhooks.emit(signedPost(account, statusCallback, callbackParams), { afterMs: step.at - at });
      }
    }
    return { message, decision };
  }

  function inbound(account: TwilioSandboxAccount, input: z.output<typeof schemas.inbound>): string {
    const number = account.numbers.get(input.to);
    if (!number)
      throw new TwilioHttpError(404, undefined, `${input.to} is not a number of account ${account.sid}`);
    if (!number.smsUrl)
      throw new TwilioHttpError(400, undefined, `${input.to} has no incoming-message webhook (smsUrl)`);
    const sid = `SM${hex(32)}`;
    const body = input.body ?? '';
    const media = input.media ?? [];
    const params: [string, string][] = [
      ['ToCountry', 'US'],
      ['ToState', ''],
      ['SmsMessageSid', sid],
      ['NumMedia', String(media.length)],
      ['ToCity', ''],
      ['FromZip', ''],
      ['SmsSid', sid],
      ['FromState', ''],
      ['SmsStatus', 'received'],
      ['FromCity', ''],
      ['Body', body],
      ['FromCountry', 'US'],
      ['To', input.to],
      ['ToZip', ''],
      ['NumSegments', String(smsSegments(body))],
      ['MessageSid', sid],
      ['AccountSid', account.sid],
      ['From', input.from],
      ['ApiVersion', API_VERSION],
    ];
    media.forEach((m, i) => {
      params.push([`MediaUrl${i}`, m.url], [`MediaContentType${i}`, m.contentType]);
    });
    const keyword = body.trim().toUpperCase();
    const pair = `${input.to}|${input.from}`;
    if (STOP_WORDS.has(keyword)) {
      account.optedOut.add(pair);
      params.push(['OptOutType', 'STOP']);
    } else if (START_WORDS.has(keyword)) {
      account.optedOut.delete(pair);
      params.push(['OptOutType', 'START']);
    } else if (HELP_WORDS.has(keyword)) {
      params.push(['OptOutType', 'HELP']);
    }
    ctx().phones.record(NAME, input.to, input.from, {
      at: now(),
      direction: 'in',
      summary: body || `[media ${media.length}]`,
      providerMessageId: sid,
    });
    ctx().webhooks.emit(signedPost(account, number.smsUrl, params));
    return sid;
  }

  return {
    name: NAME,
    title: 'Twilio Programmable Messaging',

    routes(app: FastifyInstance, sandboxContext: SandboxContext) {
      context = sandboxContext;
      app.setErrorHandler((error, _request, reply) => {
        if (error instanceof TwilioHttpError) {
          if (error.code === undefined) return reply.code(error.statusCode).send({ message: error.message });
          return reply.code(error.statusCode).send({
            code: error.code,
            message: error.message,
            more_info: `https://www.twilio.com/docs/errors/${error.code}`,
            status: error.statusCode,
          });
        }
        const status = (error as { statusCode?: number }).statusCode ?? 500;
        return reply.code(status).send({ message: error instanceof Error ? error.message : String(error) });
      });
      app.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, done) => {
          const params = new Map<string, string[]>();
          for (const [k, v] of new URLSearchParams(String(body)))
            params.set(k, [...(params.get(k) ?? []), v]);
          done(null, params);
        },
      );

      app.post(`/${API_VERSION}/Accounts/:sid/Messages.json`, async (request, reply) => {
        const { sid } = request.params as { sid: string };
        const account = authenticate(request, sid);
        if (!account.takeRequest(now())) throw new TwilioHttpError(429, 20429, 'Too Many Requests');
        const params: Params = request.body instanceof Map ? request.body : new Map();
        const { message, decision } = await createMessage(account, params);
        if (decision.kind === 'timeout') await sleep(decision.hangMs);
        return reply.code(201).send(view(message));
      });

      app.get(`/${API_VERSION}/Accounts/:sid/Messages/:messageSid`, async (request) => {
        const { sid, messageSid } = request.params as { sid: string; messageSid: string };
        const account = authenticate(request, sid);
        const message = account.messages.get(messageSid.replace(/\.json$/, ''));
        if (!message)
          throw new TwilioHttpError(404, 20404, `The requested resource ${request.url} was not found`);
        return view(message);
      });

      app.get(`/${API_VERSION}/Accounts/:sidJson`, async (request) => {
        const sid = (request.params as { sidJson: string }).sidJson.replace(/\.json$/, '');
        const account = authenticate(request, sid);
        return {
          sid: account.sid,
          friendly_name: 'Herald sandbox account',
          status: 'active',
          type: 'Full',
          date_created: rfc2822(0),
          uri: `/${API_VERSION}/Accounts/${account.sid}.json`,
        };
      });

      app.post('/_control/accounts', async (request, reply) => {
        const account = provision(parse(accountSchema, request.body));
        reply.code(201);
        return describeAccount(account);
      });
      app.get('/_control/accounts/:sid', async (request) =>
        describeAccount(accountOrThrow((request.params as { sid: string }).sid)),
      );
      app.get('/_control/accounts/:sid/messages', async (request) => ({
        items: [...accountOrThrow((request.params as { sid: string }).sid).messages.values()].map(view),
      }));
      app.post('/_control/accounts/:sid/numbers', async (request) => {
        const account = accountOrThrow((request.params as { sid: string }).sid);
        const input = parse(schemas.number, request.body);
        return account.addNumber(input.phoneNumber, input.smsUrl, input.messagesPerSecond);
      });
      app.put('/_control/accounts/:sid/outcomes', async (request) => {
        const account = accountOrThrow((request.params as { sid: string }).sid);
        const input = parse(schemas.outcome, request.body);
        account.outcomes.set(input.to ?? '*', {
          status: input.status,
          ...(input.errorCode === undefined ? {} : { errorCode: input.errorCode }),
        });
        return Object.fromEntries(account.outcomes);
      });
      app.delete('/_control/accounts/:sid/outcomes', async (request) => {
        accountOrThrow((request.params as { sid: string }).sid).outcomes.clear();
        return {};
      });
      app.put('/_control/accounts/:sid/throttle', async (request) => {
        const account = accountOrThrow((request.params as { sid: string }).sid);
        const input = parse(schemas.throttle, request.body);
        account.setThrottle(input.requestsPerSecond, now());
        return input;
      });
      app.post('/_control/accounts/:sid/inbound', async (request) => {
        const account = accountOrThrow((request.params as { sid: string }).sid);
        return { messageSid: inbound(account, parse(schemas.inbound, request.body)) };
      });
    },

    async simulateInbound({ account, user, text }) {
      // The page shows a conversation by business number; find the account that owns it.
      const owner = [...accounts.values()].find((a) => a.numbers.has(account));
      if (!owner) throw new TwilioHttpError(404, undefined, `no Twilio number ${account} in the sandbox`);
      inbound(owner, { from: user, to: account, body: text });
    },

    reset() {
      for (const account of accounts.values()) account.reset();
    },

    async demoChannel({ webhookUrl }): Promise<DemoChannel> {
      const number = '+15005550006';
      const account = provision({ numbers: [{ phoneNumber: number, smsUrl: webhookUrl(NAME) }] });
      return {
        channelId: NAME,
        provider: 'twilio',
        sender: { from: number },
        credentials: { accountSid: account.sid, authToken: account.authToken },
        options: { baseUrl: `${ctx().publicUrl()}/${NAME}` },
        demoUsers: ['+14155550123', '+14155550124'],
      };
    },
  };
}

/** Herald puts its message id in the StatusCallback query: the tag that spots a message sent twice. */
function messageIdIn(statusCallback: string): string | undefined {
  try {
    return new URL(statusCallback).searchParams.get('heraldMessageId') ?? undefined;
  } catch {
    return undefined;
  }
}

function describeAccount(account: TwilioSandboxAccount) {
  return {
    accountSid: account.sid,
    authToken: account.authToken,
    apiKey: account.apiKey,
    numbers: [...account.numbers.values()],
    outcomes: Object.fromEntries(account.outcomes),
  };
}
