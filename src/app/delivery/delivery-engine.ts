import type { DeliverySettingsStore } from '../../ports/delivery-settings-store.js';
import type { Logger } from '../../ports/logger.js';
import type { ClaimedJob } from '../../ports/send-queue.js';
import { EventDeliverer, type EventDelivererDeps } from '../events/event-deliverer.js';
import { InboxProcessor, type InboxProcessorDeps } from './inbox-processor.js';
import { LocalInbox } from './local-inbox.js';
import { type MaintenanceDeps, runMaintenance } from './maintenance.js';
import { PollingLoop } from './polling-loop.js';
import { requestConsent, type SendMessageDeps } from './send-message.js';
import { SendWorker } from './send-worker.js';
import type { SenderRunnerDeps, SenderRunnerOptions } from './sender-runner.js';

export interface DeliveryEngineOptions extends SenderRunnerOptions {
  readonly workerId: string;
  readonly discoveryMs: number;
  readonly inboxIdleMs: number;
  readonly eventsIdleMs: number;
  readonly maintenanceMs: number;
  readonly holdSeconds: number;
}

export interface DeliveryEngineDeps {
  readonly runner: Omit<SenderRunnerDeps, 'onWindowClosed' | 'afterHold' | 'options'>;
  readonly inbox: Omit<InboxProcessorDeps, 'wake' | 'onHeld' | 'local'>;
  readonly deliverer: Omit<EventDelivererDeps, 'workerId'>;
  readonly maintenance: MaintenanceDeps;
  readonly consent: Pick<SendMessageDeps, 'enqueue' | 'conversations' | 'clock' | 'ids' | 'findLocale'>;
  readonly settings: DeliverySettingsStore;
  readonly directory: SendMessageDeps['directory'];
  readonly logger: Logger;
  readonly options: DeliveryEngineOptions;
}

/**
 * Everything that runs in the background of `serve` and `worker`: the send worker (senders by lease, rate
 * limited), webhook event processing, subscription deliveries and maintenance (expiry, retention).
 */
export class DeliveryEngine {
  readonly sendWorker: SendWorker;
  /** Webhook events stored by this process, handed to its inbox processor without a round trip to the table. */
  readonly localInbox: LocalInbox;
  private readonly loops: PollingLoop[];
  private readonly inboxLoop: PollingLoop;
  private readonly deliverer: EventDeliverer;
  private started = false;

  constructor(private readonly deps: DeliveryEngineDeps) {
    const { options } = deps;
    this.sendWorker = new SendWorker(
      {
        ...deps.runner,
        options,
        discoveryMs: options.discoveryMs,
        onWindowClosed: (job) => this.holdFor(job),
        afterHold: (job) => this.consentFor(job),
      },
      options.workerId,
    );
    const { leaseMs, batchSize } = deps.inbox.options;
    this.localInbox = new LocalInbox({ leaseMs, capacity: 10 * batchSize, marginMs: leaseMs / 4 });
    const processor = new InboxProcessor({
      ...deps.inbox,
      local: this.localInbox,
      wake: (senderKey) => this.wake(senderKey),
      onHeld: (job) => this.consentFor(job),
    });
    const deliverer = new EventDeliverer({ ...deps.deliverer, workerId: options.workerId });
    this.deliverer = deliverer;
    this.inboxLoop = new PollingLoop(
      'inbox',
      () => processor.processBatch(),
      { idleMs: options.inboxIdleMs, wakeDelayMs: 5 },
      deps.logger,
    );
    this.loops = [
      this.inboxLoop,
      new PollingLoop(
        'events',
        () => deliverer.deliverBatch(),
        { idleMs: options.eventsIdleMs },
        deps.logger,
      ),
      new PollingLoop(
        'maintenance',
        () => runMaintenance(deps.maintenance),
        { idleMs: options.maintenanceMs },
        deps.logger,
      ),
    ];
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.localInbox.start();
    this.sendWorker.start();
    for (const loop of this.loops) loop.start();
  }

  wake(senderKey: string): void {
    if (this.started) this.sendWorker.wake(senderKey);
  }

  /** Webhook events were stored in this process. */
  wakeInbox(): void {
    if (this.started) this.inboxLoop.wake();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all([this.sendWorker.stop(), ...this.loops.map((l) => l.stop())]);
    // Deliveries in flight finish (each within its timeout) and are recorded, rather than sent again later.
    await this.deliverer.drain();
    // Events handed over but not processed go back to the table now rather than when their lease runs out.
    const { inbox, clock } = this.deps.inbox;
    await inbox.release(this.localInbox.stop(), clock.now());
  }

  private async holdFor(job: ClaimedJob): Promise<{ holdUntil: number } | undefined> {
    const settings = await this.deps.settings.get(job.payload.appId);
    if (!settings.consentTemplate) return undefined;
    return {
      holdUntil:
        this.deps.consent.clock.now() + (settings.holdSeconds ?? this.deps.options.holdSeconds) * 1000,
    };
  }

  private async consentFor(job: ClaimedJob): Promise<void> {
    const settings = await this.deps.settings.get(job.payload.appId);
    if (!settings.consentTemplate) return;
    const { channel } = await this.deps.directory.adapterFor(job.payload.appId, job.payload.channelId);
    await requestConsent(
      { ...this.deps.consent, wake: (senderKey) => this.wake(senderKey) },
      {
        appId: job.payload.appId,
        channel,
        to: job.payload.to,
        recipientHash: job.recipientHash,
        holdMs: (settings.holdSeconds ?? this.deps.options.holdSeconds) * 1000,
        consent: settings.consentTemplate,
      },
    );
  }
}
