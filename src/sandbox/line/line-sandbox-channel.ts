import { randomBytes } from 'node:crypto';
import { TokenBucket } from '../../domain/token-bucket.js';

/** The Messaging API endpoints that send, each with its own rate bucket. */
export type LineSendEndpoint = 'reply' | 'push' | 'multicast' | 'broadcast' | 'narrowcast';
export const LINE_SEND_ENDPOINTS: readonly LineSendEndpoint[] = [
  'reply',
  'push',
  'multicast',
  'broadcast',
  'narrowcast',
];

/**
 * A rate: `requests` per `perSeconds`, also the burst.
 *
 * @example
 * const broadcast: LineRateLimit = { requests: 60, perSeconds: 3600 };
 */
export interface LineRateLimit {
  readonly requests: number;
  readonly perSeconds: number;
}

/** LINE's published limits per channel: push and reply 2,000/s, multicast 200/s, broadcast and narrowcast 60/h. */
export const DEFAULT_LINE_RATE_LIMITS: Readonly<Record<LineSendEndpoint, LineRateLimit>> = {
  reply: { requests: 2000, perSeconds: 1 },
  push: { requests: 2000, perSeconds: 1 },
  multicast: { requests: 200, perSeconds: 1 },
  broadcast: { requests: 60, perSeconds: 3600 },
  narrowcast: { requests: 60, perSeconds: 3600 },
};

/**
 * A simulated friend of a LINE channel.
 *
 * @example
 * const user: LineSandboxUser = { userId: 'U4af4980629...', displayName: 'Aiko', following: true };
 */
export interface LineSandboxUser {
  readonly userId: string;
  displayName: string;
  /** False after the user blocked the account (unfollow); pushes are still accepted, as LINE does, but not delivered. */
  following: boolean;
}

/**
 * One entry of `sentMessages` in a push or reply answer.
 *
 * @example
 * const sent: SentMessage = { id: '461230966842064897', quoteToken: 'IStG5h1Tz7b...' };
 */
export interface SentMessage {
  readonly id: string;
  readonly quoteToken: string;
}

/**
 * A request the sandbox accepted, kept for the control API (the last 1,000).
 *
 * @example
 * channel.accepted.filter((r) => r.endpoint === 'multicast').map((r) => r.recipients.length);
 */
export interface AcceptedLineRequest {
  readonly requestId: string;
  readonly endpoint: LineSendEndpoint;
  readonly retryKey?: string;
  readonly recipients: readonly string[];
  readonly messages: readonly unknown[];
  readonly sentMessages: readonly SentMessage[];
  readonly at: number;
}

const REPLY_TOKEN_TTL_MS = 60_000;
const RETRY_KEY_TTL_MS = 24 * 3600_000;
const MAX_ACCEPTED = 1000;

export const randomHex = (length: number): string =>
  randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);

/**
 * One simulated LINE channel: its credentials, bot, friends, reply tokens, retry keys, rate buckets and monthly
 * quota. Time comes from the caller (the sandbox's clock), so a test can expire a reply token without waiting.
 */
export class LineSandboxChannel {
  readonly users = new Map<string, LineSandboxUser>();
  readonly botUserId = `U${randomHex(32)}`;
  webhookUrl: string | undefined;
  webhookActive = true;
  quota: { limit: number | null; used: number } = { limit: null, used: 0 };
  readonly accepted: AcceptedLineRequest[] = [];
  readonly narrowcasts = new Map<string, { targetCount: number; acceptedAt: number }>();
  private readonly replyTokens = new Map<string, { to: string; expiresAt: number; used: boolean }>();
  private readonly retryKeys = new Map<string, { request: AcceptedLineRequest; expiresAt: number }>();
  private readonly limits = new Map<LineSendEndpoint, LineRateLimit>();
  private readonly buckets = new Map<LineSendEndpoint, TokenBucket>();

  constructor(
    readonly channelId: string,
    public channelSecret: string,
    public accessToken: string,
    public botName: string,
  ) {}

  addUser(displayName: string, userId = `U${randomHex(32)}`): LineSandboxUser {
    const existing = this.users.get(userId);
    if (existing) {
      existing.displayName = displayName;
      existing.following = true;
      return existing;
    }
    const user = { userId, displayName, following: true };
    this.users.set(userId, user);
    return user;
  }

  issueReplyToken(to: string, now: number): string {
    const token = randomHex(32);
    this.replyTokens.set(token, { to, expiresAt: now + REPLY_TOKEN_TTL_MS, used: false });
    return token;
  }

  /** Who a reply token answers, if it is known, unused and at most a minute old. */
  replyTarget(token: string, now: number): string | undefined {
    const entry = this.replyTokens.get(token);
    if (!entry || entry.used || entry.expiresAt <= now) return undefined;
    return entry.to;
  }

  useReplyToken(token: string): void {
    const entry = this.replyTokens.get(token);
    if (entry) entry.used = true;
  }

  acceptedRetryKey(key: string, now: number): AcceptedLineRequest | undefined {
    const entry = this.retryKeys.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.retryKeys.delete(key);
      return undefined;
    }
    return entry.request;
  }

  setRateLimit(endpoint: LineSendEndpoint, limit: LineRateLimit): void {
    this.limits.set(endpoint, limit);
    this.buckets.delete(endpoint);
  }

  rateLimits(): Record<LineSendEndpoint, LineRateLimit> {
    return Object.fromEntries(
      LINE_SEND_ENDPOINTS.map((e) => [e, this.limits.get(e) ?? DEFAULT_LINE_RATE_LIMITS[e]]),
    ) as Record<LineSendEndpoint, LineRateLimit>;
  }

  /** Takes one request from the endpoint's bucket; false when the rate limit is exceeded. */
  takeRate(endpoint: LineSendEndpoint, now: number): boolean {
    let bucket = this.buckets.get(endpoint);
    if (!bucket) {
      const limit = this.limits.get(endpoint) ?? DEFAULT_LINE_RATE_LIMITS[endpoint];
      bucket = new TokenBucket(
        { ratePerSecond: limit.requests / limit.perSeconds, burst: limit.requests },
        now,
      );
      this.buckets.set(endpoint, bucket);
    }
    return bucket.tryTake(now);
  }

  /** Whether `count` more messages fit this month's quota. */
  quotaAllows(count: number): boolean {
    return this.quota.limit === null || this.quota.used + count <= this.quota.limit;
  }

  accept(request: AcceptedLineRequest, countsTowardQuota: number, now: number): void {
    this.quota.used += countsTowardQuota;
    if (request.retryKey !== undefined) {
      this.retryKeys.set(request.retryKey, { request, expiresAt: now + RETRY_KEY_TTL_MS });
    }
    this.accepted.push(request);
    if (this.accepted.length > MAX_ACCEPTED) this.accepted.splice(0, this.accepted.length - MAX_ACCEPTED);
  }

  /** Forgets what happened; the channel and its friends stay. */
  reset(): void {
    this.replyTokens.clear();
    this.retryKeys.clear();
    this.buckets.clear();
    this.limits.clear();
    this.accepted.length = 0;
    this.narrowcasts.clear();
    this.quota = { limit: null, used: 0 };
  }
}
