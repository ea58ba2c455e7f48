import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { SendQueue } from '../../ports/send-queue.js';
import { SenderRunner, type SenderRunnerDeps } from './sender-runner.js';

/**
 * Finds senders with work and runs each one whose lease this process can take. Several processes share the
 * senders between them; a sender runs in one process at a time.
 */
export class SendWorker {
  private readonly runners = new Map<string, SenderRunner>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly deps: SenderRunnerDeps & { readonly discoveryMs: number },
    readonly workerId: string,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.discover();
  }

  /** Work arrived for a sender (in this process). */
  wake(senderKey: string): void {
    const runner = this.runners.get(senderKey);
    if (runner?.active) runner.wake();
    else this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }

  /** Senders this process runs now. */
  get senders(): string[] {
    return [...this.runners.keys()];
  }

  private async discover(): Promise<void> {
    const { clock, queue, logger } = this.deps as { clock: Clock; queue: SendQueue; logger: Logger };
    while (this.running) {
      try {
        const now = clock.now();
        for (const [key, runner] of this.runners) if (!runner.active) this.runners.delete(key);
        for (const senderKey of await queue.sendersWithWork(now)) {
          if (this.runners.has(senderKey) || !this.running) continue;
          if (await queue.acquireLease(senderKey, this.workerId, now, this.deps.options.senderLeaseMs)) {
            const runner = new SenderRunner(this.deps, senderKey, this.workerId);
            this.runners.set(senderKey, runner);
            void runner.done.then(() => {
              if (this.runners.get(senderKey) === runner) this.runners.delete(senderKey);
            });
          }
        }
      } catch (error) {
        logger.error({ err: error }, 'sender discovery failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.discoveryMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }
}
