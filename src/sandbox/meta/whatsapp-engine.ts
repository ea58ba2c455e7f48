import { randomBytes } from 'node:crypto';
import { TokenBucket } from '../../domain/token-bucket.js';
import { RandomPool } from '../random-pool.js';
import type { SandboxContext } from '../sandbox-provider.js';
import { type InboundSpec, inboundMessage, inboundSummary } from './inbound-message.js';
import { type MetaErrorReply, metaError, metaStatusError } from './meta-error.js';
import { type MetaMessage, parseMetaMarkRead, parseMetaMessage } from './meta-message-schema.js';
import { TemplateRegistry } from './template-registry.js';

/** One Meta `entry` ({id: WABA id, changes[]}): what both the Graph webhook and AWS's SNS event carry. */
export interface MetaEntry {
  readonly id: string;
  readonly changes: readonly { readonly field: 'messages'; readonly value: Record<string, unknown> }[];
}

/** How a provider hands an entry to the engine under test (Graph: signed POST; AWS: SNS notification). */
export type DeliverEntry = (entry: MetaEntry, options: { readonly afterMs: number }) => void;

export interface WhatsAppAccountSettings {
  /** Cloud API throughput per number (inbound counts too); Meta's default is 80, upgraded numbers 1,000. */
  messagesPerSecond: number;
  /** Pair rate: burst to one user, then one message per `pairSecondsPerMessage`. */
  pairBurst: number;
  pairSecondsPerMessage: number;
  /** 131047 as a `failed` status after a 200 (what Meta usually does) or as a synchronous 400. */
  windowErrorMode: 'async' | 'sync';
  /** Meta answers throughput errors with 400; some integrators see 429. */
  throttleHttpStatus: 400 | 429;
  /** Gap between sent, delivered and read statuses (the emitter's random delay comes on top). */
  statusGapMs: number;
  /** Whether simulated users read what they get. */
  readReceipts: boolean;
  /**
   * Statuses that fall due within this many milliseconds go out in one webhook (several `entry` objects), as Meta
   * does under load; 0 sends each status on its own.
   */
  webhookBatchMs: number;
}

export interface WhatsAppAccount {
  /** Meta's phone-number id. */
  readonly phoneNumberId: string;
  /** The business number without the plus, as Meta's metadata shows it. */
  readonly displayPhoneNumber: string;
  readonly wabaId: string;
  readonly settings: WhatsAppAccountSettings;
}

export interface SentMessage {
  readonly wamid: string;
  readonly phoneNumberId: string;
  readonly to: string;
  readonly at: number;
  readonly message: MetaMessage;
  /** What the status webhooks will say: `delivered`, `read` or `failed:<code>`. */
  readonly outcome: string;
}

export type EngineReply =
  | { readonly ok: true; readonly body: Record<string, unknown>; readonly wamid?: string }
  | { readonly ok: false; readonly error: MetaErrorReply };

interface InjectedFailure {
  readonly code: number;
  remaining: number;
  readonly recipient?: string;
}

interface AccountState extends WhatsAppAccount {
  readonly deliver: DeliverEntry;
  readonly throughput: TokenBucket;
  readonly inboundIds: Set<string>;
  readonly failures: InjectedFailure[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_LOG = 1000;
const MAX_INBOUND_IDS = 10_000;

export const DEFAULT_WHATSAPP_SETTINGS: WhatsAppAccountSettings = {
  messagesPerSecond: 80,
  pairBurst: 45,
  pairSecondsPerMessage: 6,
  windowErrorMode: 'async',
  throttleHttpStatus: 400,
  statusGapMs: 20,
  readReceipts: true,
  webhookBatchMs: 0,
};

const FAILURE_DETAILS: Readonly<Record<number, string>> = {
  131026:
    'Message failed to send because the recipient is not a WhatsApp user or cannot receive this message.',
  131047:
    'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  131048:
    'Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
  131049: 'This message was not delivered to maintain healthy ecosystem engagement.',
  131052: 'Unable to download the media sent by the business.',
  131053: 'Unable to upload the media used in the message.',
};

/** The codes a test can make a later `failed` status carry. */
export const INJECTABLE_FAILURES = [131026, 131048, 131049, 131052, 131053] as const;

/**
 * The WhatsApp rules both WhatsApp sandboxes share (Meta's Cloud API and AWS End User Messaging Social, which
 * forwards the same bodies): body validation, the template registry, the 24-hour window per (number, user), the
 * number's throughput and the pair rate, and the status lifecycle sent -> delivered -> read (or failed) as Meta
 * entries handed to the provider's `deliver`.
 *
 * @example
 * const engine = new WhatsAppEngine('whatsapp', ctx);
 * const account = engine.provision({ phoneNumberId: '1065' }, (entry, { afterMs }) => emitSigned(entry, afterMs));
 * engine.inbound(account, { phoneNumberId: '1065', from: '+16505551234', type: 'text', text: 'hi' });
 * engine.handle(account, { messaging_product: 'whatsapp', to: '16505551234', type: 'text', text: { body: 'hello' } });
 */
export class WhatsAppEngine {
  readonly templates = new TemplateRegistry();
  private readonly accounts = new Map<string, AccountState>();
  private readonly windows = new Map<string, number>();
  private readonly pairs = new Map<string, TokenBucket>();
  /** The last MAX_LOG sends, oldest first; trimmed when it doubles, not on every send. */
  private readonly log: SentMessage[] = [];
  private readonly randomPool = new RandomPool();
  private sequence = 0;

  constructor(
    private readonly provider: string,
    private readonly ctx: SandboxContext,
  ) {}

  provision(
    input: {
      phoneNumberId?: string;
      displayPhoneNumber?: string;
      wabaId?: string;
      settings?: Partial<WhatsAppAccountSettings>;
    },
    deliver: DeliverEntry,
  ): WhatsAppAccount {
    const phoneNumberId = input.phoneNumberId ?? randomDigits(15);
    const settings = { ...DEFAULT_WHATSAPP_SETTINGS, ...input.settings };
    const account: AccountState = {
      phoneNumberId,
      displayPhoneNumber: (input.displayPhoneNumber ?? `1555${randomDigits(7)}`).replace(/^\+/, ''),
      wabaId: input.wabaId ?? randomDigits(15),
      settings,
      deliver,
      throughput: new TokenBucket(
        { ratePerSecond: settings.messagesPerSecond, burst: settings.messagesPerSecond },
        this.ctx.clock.now(),
      ),
      inboundIds: new Set(),
      failures: [],
    };
    this.accounts.set(phoneNumberId, account);
    return account;
  }

  account(phoneNumberId: string): WhatsAppAccount | undefined {
    return this.accounts.get(phoneNumberId);
  }

  list(): WhatsAppAccount[] {
    return [...this.accounts.values()];
  }

  configure(account: WhatsAppAccount, settings: Partial<WhatsAppAccountSettings>): WhatsAppAccountSettings {
    const state = this.state(account);
    Object.assign(state.settings, settings);
    if (settings.messagesPerSecond !== undefined)
      state.throughput.setRate(settings.messagesPerSecond, this.ctx.clock.now(), settings.messagesPerSecond);
    if (settings.pairBurst !== undefined || settings.pairSecondsPerMessage !== undefined) {
      for (const key of [...this.pairs.keys()])
        if (key.startsWith(`${account.phoneNumberId}\u0000`)) this.pairs.delete(key);
    }
    return { ...state.settings };
  }

  /** The next `count` accepted messages (to `recipient`, or anyone) fail later with `code` on their status. */
  injectFailures(
    account: WhatsAppAccount,
    failure: { code: number; count?: number; recipient?: string },
  ): void {
    this.state(account).failures.push({
      code: failure.code,
      remaining: failure.count ?? 1,
      ...(failure.recipient === undefined ? {} : { recipient: digits(failure.recipient) }),
    });
  }

  /** `POST /{phone-number-id}/messages`: a send, or a mark-as-read (with typing indicator). */
  handle(account: WhatsAppAccount, body: unknown): EngineReply {
    if (typeof body === 'object' && body !== null && 'status' in body) return this.markRead(account, body);
    const parsed = parseMetaMessage(body);
    if (!parsed.ok) return parsed;
    const message = parsed.value;
    const state = this.state(account);
    const now = this.ctx.clock.now();
    const to = digits(message.to);

    if (message.type === 'template' && message.template) {
      const templateError = this.templates.check(account.wabaId, message.template);
      if (templateError) return { ok: false, error: templateError };
    }
    if (message.type === 'reaction' && message.reaction && !this.isKnownMessage(message.reaction.message_id))
      return {
        ok: false,
        error: metaError(131009, 'reaction.message_id is not a message of this conversation'),
      };
    if (!state.throughput.tryTake(now)) {
      return {
        ok: false,
        error: metaError(
          130429,
          `Cloud API message throughput (${state.settings.messagesPerSecond} mps) reached`,
          {
            status: state.settings.throttleHttpStatus,
          },
        ),
      };
    }
    const pair = this.pairBucket(state, to, now);
    if (!pair.tryTake(now)) {
      return {
        ok: false,
        error: metaError(
          131056,
          'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.',
          { status: state.settings.throttleHttpStatus },
        ),
      };
    }
    const windowOpen =
      now - (this.windows.get(windowKey(account.phoneNumberId, to)) ?? Number.NEGATIVE_INFINITY) < DAY_MS;
    const freeForm = message.type !== 'template';
    if (freeForm && !windowOpen && state.settings.windowErrorMode === 'sync') {
      return { ok: false, error: metaError(131047, FAILURE_DETAILS[131047] ?? '') };
    }

    const wamid = this.nextWamid(to);
    let failure: number | undefined = freeForm && !windowOpen ? 131047 : undefined;
    if (failure === undefined) failure = this.takeInjectedFailure(state, to);
    const outcome =
      failure === undefined ? (state.settings.readReceipts ? 'read' : 'delivered') : `failed:${failure}`;

    const user = `+${to}`;
    this.ctx.counters.record(this.provider, account.phoneNumberId, user, message.biz_opaque_callback_data);
    this.ctx.phones.record(this.provider, account.phoneNumberId, user, {
      at: now,
      direction: 'out',
      summary: summarize(message),
      providerMessageId: wamid,
      status: 'accepted',
    });
    this.remember({ wamid, phoneNumberId: account.phoneNumberId, to: user, at: now, message, outcome });
    this.scheduleStatuses(state, { wamid, to, message, failure, windowOpen, now });

    return {
      ok: true,
      wamid,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: message.to, wa_id: to }],
        messages: [{ id: wamid, ...(message.type === 'template' ? { message_status: 'accepted' } : {}) }],
      },
    };
  }

  /** A simulated user writes: opens the 24-hour window and emits the `messages` webhook. Returns the wamid. */
  inbound(account: WhatsAppAccount, spec: InboundSpec): string {
    const state = this.state(account);
    const now = this.ctx.clock.now();
    const from = digits(spec.from);
    // Meta counts inbound messages against the number's throughput too; a user is never refused, though.
    state.throughput.tryTake(now);
    this.windows.set(windowKey(account.phoneNumberId, from), now);
    const wamid = this.nextWamid(from);
    state.inboundIds.add(wamid);
    if (state.inboundIds.size > MAX_INBOUND_IDS) {
      const oldest = state.inboundIds.values().next().value;
      if (oldest !== undefined) state.inboundIds.delete(oldest);
    }
    const message = inboundMessage(spec, {
      id: wamid,
      timestampSeconds: Math.floor(now / 1000),
      businessNumber: account.displayPhoneNumber,
    });
    this.ctx.phones.record(this.provider, account.phoneNumberId, `+${from}`, {
      at: now,
      direction: 'in',
      summary: inboundSummary(spec),
      providerMessageId: wamid,
    });
    state.deliver(
      this.entry(account, {
        contacts: [{ profile: { name: spec.profileName ?? 'Sandbox User' }, wa_id: from }],
        messages: [message],
      }),
      { afterMs: 0 },
    );
    return wamid;
  }

  /** Whether the 24-hour window of (number, user) is open now. */
  windowOpen(account: WhatsAppAccount, user: string): boolean {
    const last = this.windows.get(windowKey(account.phoneNumberId, digits(user)));
    return last !== undefined && this.ctx.clock.now() - last < DAY_MS;
  }

  sent(phoneNumberId?: string): SentMessage[] {
    return this.log
      .slice(-MAX_LOG)
      .filter((m) => phoneNumberId === undefined || m.phoneNumberId === phoneNumberId);
  }

  /** Forgets conversations, windows and counters; accounts and templates stay. */
  reset(): void {
    this.windows.clear();
    this.pairs.clear();
    this.log.length = 0;
    for (const state of this.accounts.values()) {
      state.inboundIds.clear();
      state.failures.length = 0;
    }
  }

  private markRead(account: WhatsAppAccount, body: unknown): EngineReply {
    const parsed = parseMetaMarkRead(body);
    if (!parsed.ok) return parsed;
    if (!this.state(account).inboundIds.has(parsed.value.message_id)) {
      return {
        ok: false,
        error: metaError(100, `message_id ${parsed.value.message_id} is not a message this number received`),
      };
    }
    this.ctx.phones.updateStatus(
      this.provider,
      parsed.value.message_id,
      parsed.value.typing_indicator ? 'read, typing…' : 'read',
    );
    return { ok: true, body: { success: true } };
  }

  private scheduleStatuses(
    state: AccountState,
    sent: {
      wamid: string;
      to: string;
      message: MetaMessage;
      failure: number | undefined;
      windowOpen: boolean;
      now: number;
    },
  ): void {
    const { wamid, to, message, failure, now } = sent;
    const callback = message.biz_opaque_callback_data;
    if (failure !== undefined) {
      state.deliver(
        this.statusEntry(state, wamid, to, callback, 'failed', now, {
          errors: [metaStatusError(failure, FAILURE_DETAILS[failure] ?? '')],
        }),
        { afterMs: 0 },
      );
      this.ctx.phones.updateStatus(this.provider, wamid, `failed (${failure})`);
      return;
    }
    const category =
      message.type === 'template' && message.template
        ? (
            this.templates.find(state.wabaId, message.template.name, message.template.language.code)
              ?.category ?? 'UTILITY'
          ).toLowerCase()
        : 'service';
    const pricing = {
      billable: category !== 'service',
      pricing_model: 'PMP',
      category,
      type: category === 'service' ? 'free_customer_service' : 'regular',
    };
    const conversation = { id: this.randomPool.hex(16), origin: { type: category } };
    const gap = state.settings.statusGapMs;
    state.deliver(
      this.statusEntry(state, wamid, to, callback, 'sent', now, {
        conversation: { ...conversation, expiration_timestamp: String(Math.floor((now + DAY_MS) / 1000)) },
        pricing,
      }),
      { afterMs: 0 },
    );
    state.deliver(
      this.statusEntry(state, wamid, to, callback, 'delivered', now + gap, { conversation, pricing }),
      {
        afterMs: gap,
      },
    );
    if (state.settings.readReceipts) {
      state.deliver(
        this.statusEntry(state, wamid, to, callback, 'read', now + 2 * gap, { conversation, pricing }),
        { afterMs: 2 * gap },
      );
    }
    this.ctx.phones.updateStatus(this.provider, wamid, state.settings.readReceipts ? 'read' : 'delivered');
  }

  private statusEntry(
    account: WhatsAppAccount,
    wamid: string,
    to: string,
    callback: string | undefined,
    status: string,
    at: number,
    extra: Record<string, unknown>,
  ): MetaEntry {
    return this.entry(account, {
      statuses: [
        {
          id: wamid,
          status,
          timestamp: String(Math.floor(at / 1000)),
          recipient_id: to,
          ...(callback === undefined ? {} : { biz_opaque_callback_data: callback }),
          ...extra,
        },
      ],
    });
  }

  private entry(account: WhatsAppAccount, value: Record<string, unknown>): MetaEntry {
    return {
      id: account.wabaId,
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: {
              display_phone_number: account.displayPhoneNumber,
              phone_number_id: account.phoneNumberId,
            },
            ...value,
          },
        },
      ],
    };
  }

  private takeInjectedFailure(state: AccountState, to: string): number | undefined {
    const rule = state.failures.find(
      (f) => f.remaining > 0 && (f.recipient === undefined || f.recipient === to),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) state.failures.splice(state.failures.indexOf(rule), 1);
    return rule.code;
  }

  private pairBucket(state: AccountState, to: string, now: number): TokenBucket {
    const key = windowKey(state.phoneNumberId, to);
    let bucket = this.pairs.get(key);
    if (!bucket) {
      bucket = new TokenBucket(
        { ratePerSecond: 1 / state.settings.pairSecondsPerMessage, burst: state.settings.pairBurst },
        now,
      );
      this.pairs.set(key, bucket);
    }
    return bucket;
  }

  private isKnownMessage(wamid: string): boolean {
    for (const state of this.accounts.values()) if (state.inboundIds.has(wamid)) return true;
    for (let i = Math.max(0, this.log.length - MAX_LOG); i < this.log.length; i++)
      if (this.log[i]?.wamid === wamid) return true;
    return false;
  }

  private remember(message: SentMessage): void {
    this.log.push(message);
    if (this.log.length >= 2 * MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  private nextWamid(user: string): string {
    this.sequence += 1;
    const raw = `${user}\u0015${this.sequence.toString(16).padStart(8, '0')}${this.randomPool.hex(8).toUpperCase()}`;
    return `wamid.HBgL${Buffer.from(raw).toString('base64')}`;
  }

  private state(account: WhatsAppAccount): AccountState {
    const state = this.accounts.get(account.phoneNumberId);
    if (!state) throw new Error(`sandbox: no WhatsApp account ${account.phoneNumberId}`);
    return state;
  }
}

function summarize(message: MetaMessage): string {
  switch (message.type) {
    case 'text':
      return message.text?.body ?? '';
    case 'template':
      return `[template ${message.template?.name} ${message.template?.language.code}]`;
    case 'interactive':
      return `[${message.interactive?.type === 'list' ? 'list' : 'buttons'}] ${message.interactive?.body.text ?? ''}`;
    case 'reaction':
      return `[reaction ${message.reaction?.emoji ?? ''}]`;
    case 'location':
      return `[location ${message.location?.latitude}, ${message.location?.longitude}]`;
    default: {
      const media = message[message.type] as { caption?: string } | undefined;
      return media?.caption ? `[${message.type}] ${media.caption}` : `[${message.type}]`;
    }
  }
}

function windowKey(phoneNumberId: string, user: string): string {
  return `${phoneNumberId}\u0000${user}`;
}

function digits(phone: string): string {
  return phone.replace(/^\+/, '');
}

function randomDigits(length: number): string {
  let out = String(1 + ((randomBytes(1)[0] ?? 0) % 9));
  while (out.length < length) out += String((randomBytes(1)[0] ?? 0) % 10);
  return out;
}
