import { randomUUID } from 'node:crypto';
import type { Endpoint } from '../../domain/endpoint.js';
import type { HeraldEvent } from '../../domain/herald-event.js';
import { isFreeForm } from '../../domain/message-content.js';
import { retryDelayMs } from '../../domain/retry-backoff.js';
import { TokenBucket } from '../../domain/token-bucket.js';
import type { ChannelAdapter, OutboundMessage, SendOutcome } from '../../ports/channel-adapter.js';
import type { ChannelProvider } from '../../ports/channel-provider.js';
import type { ChannelStore } from '../../ports/channel-store.js';
import type { Clock } from '../../ports/clock.js';
import type { DeliveryMetrics } from '../../ports/delivery-metrics.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import type { Logger } from '../../ports/logger.js';
import type { ClaimedJob, JobSettlement, SendQueue } from '../../ports/send-queue.js';
import type { ChannelDirectory } from '../channels/channel-directory.js';
import type { EventPublisher } from '../events/event-publisher.js';

export interface SenderRunnerOptions {
  /** Most jobs claimed at once. */
  readonly batchSize: number;
  /** Most provider calls in flight for this sender. */
  readonly maxInFlight: number;
  /** How long a claimed job stays ours; longer than a provider call can take. */
  readonly jobLeaseMs: number;
  /** How long the sender lease lasts without renewal. */
  readonly senderLeaseMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How often an idle sender looks for work another process enqueued. */
  readonly pollMs: number;
  /** An idle sender gives up its lease after this long. */
  readonly idleMs: number;
  /** Settlements are written in batches at least this often. */
  readonly flushMs: number;
  /** After a claim that found fewer jobs than it could take, wait this long before claiming again. */
  readonly claimLingerMs: number;
}

export interface SenderRunnerDeps {
  readonly queue: SendQueue;
  readonly channels: ChannelStore;
  readonly directory: ChannelDirectory;
  readonly events: EventPublisher;
  readonly metrics: DeliveryMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  /** Custom channels send the endpoint with the message (Pinpoint's payload). */
  readonly endpoints: Pick<EndpointStore, 'getMany'>;
  /** A message hit WhatsApp's closed window: hold it and ask for consent. Returns false when that is not possible. */
  readonly onWindowClosed: (job: ClaimedJob) => Promise<{ holdUntil: number } | undefined>;
  /** After a hold is recorded: send the consent template if it has not gone out. */
  readonly afterHold: (job: ClaimedJob) => Promise<void>;
  readonly options: SenderRunnerOptions;
}

interface SenderConfig {
  readonly messagesPerSecond: number;
  readonly provider: ChannelProvider | undefined;
  readonly checkedAt: number;
}

/** A batch of outcomes that could not be written is tried again this many times, this much later each time. */
const MAX_SETTLE_RETRIES = 5;
const SETTLE_RETRY_MS = 100;

/** Throttling halves the rate for this long. */
const THROTTLE_COOLDOWN_MS = 30_000;

/**
 * Retryable failures in a row (server errors, timeouts, refused connections, whatever the message) that mean the
 * provider is down rather than one message unlucky: the sender then pauses, 1 s after the first time and doubling
 * up to a minute, and sends one message at a time until one goes through.
 */
const OUTAGE_AFTER_FAILURES = 5;
const OUTAGE_FIRST_PAUSE_MS = 1_000;
const OUTAGE_MAX_PAUSE_MS = 60_000;

/**
 * Sends one sender's jobs while this process holds its lease: a token bucket at the sender's rate (the lowest
 * `messagesPerSecond` of the channels that send as it), claims sized to the tokens available, one provider call at
 * a time per recipient (so a user's messages arrive in order), WhatsApp's pair rate per recipient, and outcomes
 * written in batches. Throttling from the provider halves the rate for a while; a provider that keeps failing
 * (down) pauses the sender, which then probes it with one message at a time.
 *
 * Only one process holds a sender at a time, so the rate holds across any number of workers; a new holder starts
 * with an empty bucket, so a takeover does not burst.
 */
export class SenderRunner {
  private running = true;
  private inFlight = 0;
  private config: SenderConfig | undefined;
  private bucket: TokenBucket | undefined;
  private throttledUntil = 0;
  /** Retryable failures since the provider last answered (anything but a retryable failure is an answer). */
  private failuresInARow = 0;
  /** Pauses since the provider last answered; while above 0, one message at a time probes it. */
  private outagePauses = 0;
  private pausedUntil = 0;
  private readonly pairBuckets = new Map<string, TokenBucket>();
  private readonly recipientChains = new Map<string, Promise<void>>();
  private pending: JobSettlement[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** A flush is queued behind the one running: it will take everything pending, so no other is needed. */
  private flushQueued = false;
  private settleFailures = 0;
  private wakeUp: (() => void) | undefined;
  private slotFreed: (() => void) | undefined;
  private lastWorkAt: number;
  readonly done: Promise<void>;

  constructor(
    private readonly deps: SenderRunnerDeps,
    readonly senderKey: string,
    private readonly workerId: string,
  ) {
    this.lastWorkAt = deps.clock.now();
    this.done = this.run().catch((error: unknown) => {
      deps.logger.error({ err: error, senderKey }, 'sender runner crashed');
    });
  }

  /** New work was enqueued for this sender in this process. */
  wake(): void {
    this.lastWorkAt = this.deps.clock.now();
    this.wakeUp?.();
  }

  stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    this.slotFreed?.();
    return this.done;
  }

  get active(): boolean {
    return this.running;
  }

  private async run(): Promise<void> {
    const { options } = this.deps;
    const renew = setInterval(
      () => void this.renewLease(),
      Math.max(50, Math.floor(options.senderLeaseMs / 3)),
    );
    try {
      while (this.running) {
        const now = this.deps.clock.now();
        // The provider is down: sending more would only spend the attempts of every message in the queue.
        if (now < this.pausedUntil) {
          await this.sleep(Math.min(this.pausedUntil - now, 1_000));
          continue;
        }
        const bucket = await this.rateBucket(now);
        // Claim when a good share of the slots is free, not as each one frees up: one claim (and one outcome
        // write) per batch, not per message. A probe of a provider that was down goes alone.
        if (
          this.inFlight > options.maxInFlight - Math.max(1, Math.floor(options.maxInFlight / 4)) ||
          (this.outagePauses > 0 && this.inFlight > 0)
        ) {
          await this.slotFree();
          continue;
        }
        // Outcomes not written yet hold their jobs in memory: when the database falls behind the provider, claim
        // nothing more until it has caught up, or a fast provider fills the heap with settled jobs.
        if (this.pending.length >= options.batchSize * 2) {
          await this.flushing;
          // Still behind: the last write failed and waits for its retry.
          if (this.pending.length >= options.batchSize * 2) await this.sleep(SETTLE_RETRY_MS);
          continue;
        }
        const want =
          this.outagePauses > 0 ? 1 : Math.min(options.batchSize, options.maxInFlight - this.inFlight);
        const providerBatch = this.config?.provider?.batchSize ?? 1;
        if (providerBatch > 1) {
          // Whole batches, and as many as the bucket holds: a fast sender claims several at once.
          const size = Math.min(want, Math.max(providerBatch, Math.floor(bucket.capacity)));
          const claimed = await this.claimBatch(bucket, size, now);
          if (claimed === 0) {
            if (this.inFlight === 0 && this.pending.length === 0 && now - this.lastWorkAt > options.idleMs)
              break;
            await this.sleep(options.pollMs);
          }
          continue;
        }
        const tokens = bucket.takeUpTo(now, want);
        if (tokens === 0) {
          await this.sleep(Math.max(1, Math.min(bucket.msUntilAvailable(now), 100)));
          continue;
        }
        const jobs = await this.deps.queue.claim(this.senderKey, {
          limit: tokens,
          now,
          leaseMs: options.jobLeaseMs,
          workerId: this.workerId,
        });
        if (jobs.length < tokens) bucket.giveBack(tokens - jobs.length);
        if (jobs.length === 0) {
          if (this.inFlight === 0 && this.pending.length === 0 && now - this.lastWorkAt > options.idleMs)
            break;
          await this.sleep(options.pollMs);
          continue;
        }
        this.lastWorkAt = now;
        this.dispatch(jobs);
        // A short claim is work trickling in: let a little more gather before the next claim, so a busy sender
        // claims (and writes outcomes) in batches rather than one transaction per message.
        // (Not cut short by wake-ups: those are what arrives meanwhile.)
        if (jobs.length < Math.max(1, tokens / 2))
          await new Promise((r) => setTimeout(r, options.claimLingerMs));
      }
    } finally {
      clearInterval(renew);
      this.running = false;
      await this.drain();
      await this.deps.queue.releaseLease(this.senderKey, this.workerId).catch(() => {});
    }
  }

  /**
   * For providers that take many recipients a call: claims the due jobs first, up to a batch, then waits until the
   * bucket holds a token for each, and sends them together. Claiming by the tokens at hand, as for other providers,
   * sent a campaign's 110 endpoints to a custom channel (50 a second, a tenth of a second of burst) in some 70 calls
   * of one to seven; Pinpoint made three. The wait is at most what the bucket holds (a tenth of a second of the
   * rate, or a batch's worth up to a second), well inside the jobs' lease.
   */
  private async claimBatch(bucket: TokenBucket, size: number, now: number): Promise<number> {
    const { options, clock } = this.deps;
    const jobs = await this.deps.queue.claim(this.senderKey, {
      limit: size,
      now,
      leaseMs: options.jobLeaseMs,
      workerId: this.workerId,
    });
    if (jobs.length === 0) return 0;
    this.lastWorkAt = now;
    let tokens = bucket.takeUpTo(clock.now(), jobs.length);
    while (tokens < jobs.length) {
      const wait = bucket.msUntilAvailable(clock.now(), jobs.length - tokens);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(wait, 1_000))));
      tokens += bucket.takeUpTo(clock.now(), jobs.length - tokens);
    }
    this.dispatch(jobs);
    return jobs.length;
  }

  private async renewLease(): Promise<void> {
    if (!this.running) return;
    try {
      const held = await this.deps.queue.acquireLease(
        this.senderKey,
        this.workerId,
        this.deps.clock.now(),
        this.deps.options.senderLeaseMs,
      );
      if (!held) {
        this.deps.logger.warn({ senderKey: this.senderKey }, 'sender lease lost; stopping this runner');
        this.running = false;
        this.wakeUp?.();
      }
    } catch (error) {
      this.deps.logger.warn({ err: error, senderKey: this.senderKey }, 'could not renew the sender lease');
    }
  }

  /** Waits for every call in flight and writes the last outcomes. */
  private async drain(): Promise<void> {
    while (this.inFlight > 0) await this.slotFree();
    await Promise.all(this.recipientChains.values());
    await this.flush();
  }

  /** Resolves when a call in flight ends. */
  private slotFree(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.slotFreed = resolve;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  private async rateBucket(now: number): Promise<TokenBucket> {
    if (!this.config || now - this.config.checkedAt > 5_000) {
      const channels = await this.deps.channels.findBySenderKey(this.senderKey);
      const rates = channels.map((c) => c.limits.messagesPerSecond).filter((r) => r > 0);
      const first = channels[0];
      const provider = first ? this.safeProvider(first.provider) : undefined;
      this.config = {
        messagesPerSecond: rates.length > 0 ? Math.min(...rates) : (provider?.defaultMessagesPerSecond ?? 20),
        provider,
        checkedAt: now,
      };
    }
    const rate = this.config.messagesPerSecond * (now < this.throttledUntil ? 0.5 : 1);
    // A tenth of a second of burst: smooth enough for providers that measure per second. A provider that takes
    // batches gets room for one (up to a second's worth), or a batch could never gather its tokens.
    const batch = Math.min(this.config.provider?.batchSize ?? 1, rate);
    const burst = Math.max(1, rate / 10, batch);
    if (!this.bucket) this.bucket = new TokenBucket({ ratePerSecond: rate, burst, initialTokens: 0 }, now);
    else if (this.bucket.ratePerSecond !== rate) this.bucket.setRate(rate, now, burst);
    return this.bucket;
  }

  private safeProvider(kind: Parameters<ChannelDirectory['provider']>[0]): ChannelProvider | undefined {
    try {
      return this.deps.directory.provider(kind);
    } catch {
      return undefined;
    }
  }

  private dispatch(jobs: readonly ClaimedJob[]): void {
    const now = this.deps.clock.now();
    const pairRate = this.config?.provider?.pairRate;
    const ready: ClaimedJob[] = [];
    for (const job of jobs) {
      if (pairRate) {
        let pair = this.pairBuckets.get(job.recipientHash);
        if (!pair) {
          if (this.pairBuckets.size > 100_000) this.pairBuckets.clear();
          pair = new TokenBucket({ ratePerSecond: pairRate.perSecond, burst: pairRate.burst }, now);
          this.pairBuckets.set(job.recipientHash, pair);
        }
        if (!pair.tryTake(now)) {
          // Paced, not failed: the job waits for the recipient's next slot and the attempt does not count.
          this.bucket?.giveBack(1);
          this.deps.metrics.sendOutcome(this.config?.provider?.kind ?? 'unknown', 'paced');
          this.settle({
            kind: 'retry',
            job,
            runAt: now + pair.msUntilAvailable(now),
            error: {
              code: 'HERALD_PAIR_RATE',
              message: 'paced to the provider pair rate for this recipient',
            },
            refundAttempt: true,
          });
          continue;
        }
      }
      ready.push(job);
    }
    if (ready.length === 0) return;
    void this.sendAll(ready);
  }

  private async sendAll(jobs: readonly ClaimedJob[]): Promise<void> {
    // Group by channel: every job of a sender normally shares one, but several apps may send as one number.
    const byChannel = new Map<string, ClaimedJob[]>();
    for (const job of jobs) {
      const key = `${job.payload.appId}\u0000${job.payload.channelId}`;
      const group = byChannel.get(key);
      if (group) group.push(job);
      else byChannel.set(key, [job]);
    }
    for (const claimed of byChannel.values()) {
      const first = claimed[0]!;
      let adapter: ChannelAdapter;
      let providerKind: string;
      let channelType: string;
      try {
        const found = await this.deps.directory.adapterFor(first.payload.appId, first.payload.channelId);
        adapter = found.adapter;
        providerKind = found.channel.provider;
        channelType = found.channel.channelType;
      } catch (error) {
        for (const job of claimed) {
          this.settle({
            kind: 'failed',
            job,
            error: {
              code: 'HERALD_CHANNEL_NOT_CONFIGURED',
              message: error instanceof Error ? error.message : String(error),
            },
          });
        }
        continue;
      }
      let group: OutboundJob[];
      try {
        group =
          channelType === 'CUSTOM' ? await this.withEndpoints(claimed) : claimed.map((job) => ({ job }));
      } catch (error) {
        // The jobs stay claimed until their lease runs out, then run again: nothing is lost.
        this.deps.logger.error(
          { err: error, senderKey: this.senderKey },
          'could not read the endpoints to send',
        );
        continue;
      }
      if (adapter.sendBatch && (adapter.maxBatchSize ?? 1) > 1)
        this.sendBatches(adapter, providerKind, group);
      else for (const item of group) this.sendInOrder(adapter, providerKind, item);
    }
  }

  /**
   * A custom channel sends Pinpoint's payload, which holds the endpoint: read them all in one query. A message
   * whose endpoint was deleted after it was queued is not sent.
   */
  private async withEndpoints(jobs: readonly ClaimedJob[]): Promise<OutboundJob[]> {
    const ids = [...new Set(jobs.flatMap((job) => (job.payload.endpointId ? [job.payload.endpointId] : [])))];
    const appId = jobs[0]?.payload.appId;
    const found =
      ids.length === 0 || appId === undefined ? [] : await this.deps.endpoints.getMany(appId, ids);
    const byId = new Map(found.map((endpoint) => [endpoint.id, endpoint]));
    const group: OutboundJob[] = [];
    for (const job of jobs) {
      const { endpointId } = job.payload;
      if (endpointId === undefined) {
        group.push({ job });
        continue;
      }
      const endpoint = byId.get(endpointId);
      if (endpoint) group.push({ job, endpoint });
      else
        this.settle({
          kind: 'failed',
          job,
          error: {
            code: 'HERALD_ENDPOINT_DELETED',
            message: `endpoint ${endpointId} was deleted before the message went out`,
          },
        });
    }
    return group;
  }

  /** One call at a time per recipient, in claim order. */
  private sendInOrder(adapter: ChannelAdapter, providerKind: string, item: OutboundJob): void {
    const { job } = item;
    this.inFlight += 1;
    const previous = this.recipientChains.get(job.recipientHash) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const outcome = await this.call(providerKind, () => adapter.send(toOutbound(item)));
        await this.record(providerKind, job, outcome);
      } finally {
        this.release();
      }
    });
    this.recipientChains.set(job.recipientHash, next);
    void next.finally(() => {
      if (this.recipientChains.get(job.recipientHash) === next)
        this.recipientChains.delete(job.recipientHash);
    });
  }

  /**
   * Same content to many recipients in one provider call (LINE multicast, a custom channel's 50 endpoints). Each
   * batch is recorded before the call; a batch claimed again after a crash is sent as the same set, in the same
   * order, so the provider's idempotency key (derived from the set) makes the resend a no-op.
   */
  private sendBatches(adapter: ChannelAdapter, providerKind: string, items: readonly OutboundJob[]): void {
    const size = adapter.maxBatchSize ?? 1;
    const resumed = new Map<string, OutboundJob[]>();
    const groups = new Map<string, OutboundJob[]>();
    const add = (map: Map<string, OutboundJob[]>, key: string, item: OutboundJob) => {
      const members = map.get(key);
      if (members) members.push(item);
      else map.set(key, [item]);
    };
    for (const item of items) {
      const { job } = item;
      if (job.batchKey !== undefined) add(resumed, job.batchKey, item);
      else add(groups, JSON.stringify([job.payload.content, job.payload.campaign ?? null]), item);
    }
    const batches: { key: string; jobs: OutboundJob[]; fresh: boolean }[] = [];
    for (const [key, members] of resumed) batches.push({ key, jobs: members, fresh: false });
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += size)
        batches.push({ key: randomUUID(), jobs: group.slice(i, i + size), fresh: true });
    }
    for (const batch of batches) {
      const sorted = [...batch.jobs].sort((a, b) => (a.job.messageId < b.job.messageId ? -1 : 1));
      const members = sorted.map((item) => item.job);
      this.inFlight += members.length;
      void (async () => {
        try {
          if (batch.fresh) {
            await this.deps.queue.assignBatch(
              members.map((j) => j.id),
              batch.key,
            );
          }
          const outcomes = await this.call(providerKind, () => adapter.sendBatch!(sorted.map(toOutbound)));
          if (Array.isArray(outcomes)) {
            await Promise.all(
              members.map((job, j) => this.record(providerKind, job, outcomes[j] ?? missingOutcome())),
            );
          } else {
            await Promise.all(members.map((job) => this.record(providerKind, job, outcomes)));
          }
        } catch (error) {
          // The batch could not even be recorded: its jobs come back when their lease runs out.
          this.deps.logger.error(
            { err: error, senderKey: this.senderKey },
            'could not record a batch before sending it',
          );
        } finally {
          for (let k = 0; k < members.length; k++) this.release();
        }
      })();
    }
  }

  /** Calls the provider; a throw (a bug, never the provider's answer) becomes a retryable failure. */
  private async call<T>(providerKind: string, send: () => Promise<T>): Promise<T | SendOutcome> {
    const started = performance.now();
    try {
      return await send();
    } catch (error) {
      this.deps.logger.error({ err: error, senderKey: this.senderKey }, 'channel adapter threw');
      return {
        ok: false,
        failure: {
          class: 'retryable',
          code: 'HERALD_ADAPTER_ERROR',
          message: error instanceof Error ? error.message : String(error),
        },
      };
    } finally {
      this.deps.metrics.sendLatency(providerKind, (performance.now() - started) / 1000);
    }
  }

  private release(): void {
    this.inFlight -= 1;
    const resolve = this.slotFreed;
    this.slotFreed = undefined;
    resolve?.();
  }

  private async record(providerKind: string, job: ClaimedJob, outcome: SendOutcome): Promise<void> {
    const { options } = this.deps;
    const now = this.deps.clock.now();
    if (outcome.ok || outcome.failure.class !== 'retryable') this.providerAnswered();
    if (outcome.ok) {
      this.deps.metrics.sendOutcome(providerKind, 'sent');
      // WhatsApp may still say the window was closed (131047) for a free-form message it accepted: keep the job.
      const keepJob =
        this.config?.provider?.customerServiceWindow === true && isFreeForm(job.payload.content);
      const noReceipts = this.config?.provider?.deliveryReceipts === false;
      const sealId = this.config?.provider?.providerIdsCarryAddress === true;
      this.settle({
        kind: 'sent',
        job,
        providerMessageId: outcome.providerMessageId,
        ...(sealId ? { sealId } : {}),
        ...(keepJob ? { keepJob } : {}),
        ...(noReceipts ? { noReceipts } : {}),
      });
      return;
    }
    const { failure } = outcome;
    this.deps.metrics.sendOutcome(providerKind, failure.class, failure.code);
    const error = { code: failure.code, message: failure.message };
    switch (failure.class) {
      case 'throttled': {
        if (failure.scope !== 'recipient') this.throttledUntil = now + THROTTLE_COOLDOWN_MS;
        const wait =
          failure.retryAfterMs ??
          (failure.scope === 'recipient' ? Math.min(60_000, 1000 * 4 ** Math.min(job.attempts, 3)) : 1_000);
        this.settle({ kind: 'retry', job, runAt: now + wait, error, refundAttempt: true });
        return;
      }
      case 'retryable': {
        const pausedUntil = this.providerFailed(now, failure.code);
        if (job.attempts >= options.maxAttempts) {
          this.settle({
            kind: 'failed',
            job,
            error: {
              code: failure.code,
              message: `gave up after ${job.attempts} attempts: ${failure.message}`,
            },
          });
        } else {
          const delay = retryDelayMs(
            job.attempts,
            { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs },
            this.deps.random,
          );
          this.settle({ kind: 'retry', job, runAt: Math.max(now + delay, pausedUntil), error });
        }
        return;
      }
      case 'window_closed': {
        const hold = await this.deps.onWindowClosed(job);
        if (hold) this.settle({ kind: 'hold', job, holdUntil: hold.holdUntil, error });
        else this.settle({ kind: 'failed', job, error });
        return;
      }
      case 'permanent':
        this.settle({ kind: 'failed', job, error });
        return;
    }
  }

  /**
   * A retryable failure: after OUTAGE_AFTER_FAILURES in a row the sender pauses (calls in flight that fail meanwhile
   * join the same pause). Returns until when it is paused (0 when it is not).
   */
  private providerFailed(now: number, code: string): number {
    this.failuresInARow += 1;
    if (this.failuresInARow < OUTAGE_AFTER_FAILURES) return 0;
    if (now < this.pausedUntil) return this.pausedUntil;
    this.outagePauses += 1;
    const pauseMs = Math.min(OUTAGE_MAX_PAUSE_MS, OUTAGE_FIRST_PAUSE_MS * 2 ** (this.outagePauses - 1));
    this.pausedUntil = now + pauseMs;
    this.deps.metrics.senderPaused(this.senderKey);
    if (this.outagePauses === 1)
      this.deps.logger.warn(
        { senderKey: this.senderKey, code, failures: this.failuresInARow },
        'the provider keeps failing; pausing the sender and probing it with one message at a time',
      );
    return this.pausedUntil;
  }

  private providerAnswered(): void {
    if (this.outagePauses > 0)
      this.deps.logger.info({ senderKey: this.senderKey }, 'the provider answers again; the sender resumes');
    this.failuresInARow = 0;
    this.outagePauses = 0;
    this.pausedUntil = 0;
  }

  private settle(settlement: JobSettlement): void {
    this.pending.push(settlement);
    if (this.pending.length >= this.deps.options.batchSize) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), this.deps.options.flushMs);
  }

  /**
   * Writes pending outcomes; serialised so two flushes never interleave. At most one flush waits behind the running
   * one: every settlement past the batch size asks for a flush, and chaining one per call grew a chain of empty
   * flushes as long as the backlog (a hundred thousand promises in a campaign on PostgreSQL).
   */
  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.flushQueued) return this.flushing;
    this.flushQueued = true;
    this.flushing = this.flushing.then(async () => {
      this.flushQueued = false;
      const batch = this.pending;
      this.pending = [];
      if (batch.length === 0) return;
      const events: HeraldEvent[] = [];
      let changes: Awaited<ReturnType<SendQueue['settle']>>;
      try {
        await this.deps.events.prepare(batch.map((s) => s.job.payload.appId));
        changes = await this.deps.queue.settle(
          batch,
          this.deps.clock.now(),
          this.deps.events.writerFor(events),
        );
        this.settleFailures = 0;
      } catch (error) {
        // Nothing of the batch was written (one transaction). A transient failure (PostgreSQL resolving a deadlock
        // with the status updates of the same messages) is retried in a moment; left alone, the jobs would stay
        // claimed until their lease ran out and every message in the batch would stall that long.
        this.settleFailures += 1;
        const retry = this.settleFailures <= MAX_SETTLE_RETRIES;
        this.deps.logger[retry ? 'warn' : 'error'](
          { err: error, senderKey: this.senderKey, count: batch.length, attempt: this.settleFailures },
          retry ? 'could not record send outcomes; retrying' : 'could not record send outcomes',
        );
        if (retry) {
          this.pending = [...batch, ...this.pending];
          this.flushTimer ??= setTimeout(() => void this.flush(), SETTLE_RETRY_MS * this.settleFailures);
        } else {
          // The jobs stay claimed until their lease runs out, then run again: nothing is lost.
          this.settleFailures = 0;
        }
        return;
      }
      try {
        this.deps.events.publish(events);
        const counts = new Map<string, number>();
        for (const change of changes) counts.set(change.status, (counts.get(change.status) ?? 0) + 1);
        for (const [status, count] of counts) this.deps.metrics.statusChanged(status, count);
        for (const s of batch) if (s.kind === 'hold') await this.deps.afterHold(s.job);
      } catch (error) {
        this.deps.logger.error(
          { err: error, senderKey: this.senderKey, count: batch.length },
          'could not finish recording send outcomes',
        );
      }
    });
    return this.flushing;
  }
}

/** A claimed job and, for a custom channel, the endpoint its payload carries. */
interface OutboundJob {
  readonly job: ClaimedJob;
  readonly endpoint?: Endpoint;
}

function toOutbound({ job, endpoint }: OutboundJob): OutboundMessage {
  return {
    messageId: job.messageId,
    to: job.payload.to,
    content: job.payload.content,
    attempt: job.attempts,
    ...(endpoint ? { endpoint } : {}),
    ...(job.payload.campaign ? { campaign: job.payload.campaign } : {}),
  };
}

function missingOutcome(): SendOutcome {
  return {
    ok: false,
    failure: {
      class: 'retryable',
      code: 'HERALD_ADAPTER_ERROR',
      message: 'the adapter returned fewer outcomes than messages',
    },
  };
}
