import { randomBytes } from 'node:crypto';
import { TokenBucket } from '../../domain/token-bucket.js';

export const hex = (length: number): string =>
  randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);

/**
 * A number of a simulated Twilio account.
 *
 * @example
 * account.addNumber('+15005550006', 'https://herald.example/webhooks/app/sms', 1); // one message a second
 */
export interface TwilioSandboxNumber {
  readonly phoneNumber: string;
  /** Where incoming messages to this number go (the number's "A message comes in" webhook). */
  smsUrl: string | undefined;
  /** Messages a second this number sends; more wait in its queue (undefined: no queue). */
  messagesPerSecond: number | undefined;
  /** When the number's queue can send its next message. */
  nextSlotAt: number;
}

/**
 * How a message to a recipient ends: `delivered`, or `undelivered`/`failed` with an error code.
 *
 * @example
 * account.outcomes.set('+14155550124', { status: 'undelivered', errorCode: 30003 });
 */
export interface TwilioOutcome {
  readonly status: 'delivered' | 'undelivered' | 'failed';
  readonly errorCode?: number;
}

/**
 * A message resource as the REST API returns it (snake_case), with its status timeline.
 *
 * @example
 * const latest = message.timeline.filter((t) => t.at <= now).at(-1)?.status; // 'sent'
 */
export interface TwilioSandboxMessage {
  readonly resource: Record<string, unknown>;
  /** Statuses with the time each takes effect, so `GET` shows the status of the moment. */
  readonly timeline: { status: string; at: number; errorCode?: number }[];
}

/**
 * One simulated Twilio account: its SID, Auth Token and an API key, its numbers, the messages it accepted, who
 * opted out of which number, scripted outcomes and an optional request rate.
 */
export class TwilioSandboxAccount {
  readonly numbers = new Map<string, TwilioSandboxNumber>();
  readonly messages = new Map<string, TwilioSandboxMessage>();
  /** `from|to` pairs where the recipient replied STOP. */
  readonly optedOut = new Set<string>();
  readonly outcomes = new Map<string, TwilioOutcome>();
  readonly apiKey = { sid: `SK${hex(32)}`, secret: hex(32) };
  private throttle: TokenBucket | undefined;

  constructor(
    readonly sid: string,
    public authToken: string,
  ) {}

  addNumber(phoneNumber: string, smsUrl?: string, messagesPerSecond?: number): TwilioSandboxNumber {
    const existing = this.numbers.get(phoneNumber);
    const number: TwilioSandboxNumber = {
      phoneNumber,
      smsUrl: smsUrl ?? existing?.smsUrl,
      messagesPerSecond: messagesPerSecond ?? existing?.messagesPerSecond,
      nextSlotAt: existing?.nextSlotAt ?? 0,
    };
    this.numbers.set(phoneNumber, number);
    return number;
  }

  /** Accepts `user:password` for the Auth Token or the API key. */
  authenticates(user: string, password: string): boolean {
    return (
      (user === this.sid && password === this.authToken) ||
      (user === this.apiKey.sid && password === this.apiKey.secret)
    );
  }

  setThrottle(requestsPerSecond: number | null, now: number): void {
    this.throttle =
      requestsPerSecond === null ? undefined : new TokenBucket({ ratePerSecond: requestsPerSecond }, now);
  }

  /** False when the account's request rate is exceeded (Twilio's 20429). */
  takeRequest(now: number): boolean {
    return this.throttle?.tryTake(now) ?? true;
  }

  /** How long a message waits in the sending number's queue before it is sent. */
  queueDelay(from: string, now: number): number {
    const number = this.numbers.get(from);
    if (!number?.messagesPerSecond) return 0;
    const slot = Math.max(now, number.nextSlotAt);
    number.nextSlotAt = slot + 1000 / number.messagesPerSecond;
    return slot - now;
  }

  outcomeFor(to: string): TwilioOutcome {
    return this.outcomes.get(to) ?? this.outcomes.get('*') ?? { status: 'delivered' };
  }

  reset(): void {
    this.messages.clear();
    this.optedOut.clear();
    this.outcomes.clear();
    this.throttle = undefined;
    for (const number of this.numbers.values()) number.nextSlotAt = 0;
  }
}
