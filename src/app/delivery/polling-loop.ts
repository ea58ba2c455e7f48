import type { Logger } from '../../ports/logger.js';

/**
 * Runs `step` again and again: at once while it finds work, after `idleMs` when it finds none, after `errorMs`
 * when it throws. `wake()` cuts an idle wait short.
 *
 * @example
 * const loop = new PollingLoop('inbox', () => processor.processBatch(), { idleMs: 200 }, logger);
 * loop.start(); ... await loop.stop();
 */
export class PollingLoop {
  private running = false;
  private done: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(
    readonly name: string,
    private readonly step: () => Promise<number>,
    private readonly options: {
      idleMs: number;
      errorMs?: number;
      /** A wake-up runs the step after this long, so work arriving in a burst is taken in one batch. */
      wakeDelayMs?: number;
    },
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  wake(): void {
    if (this.woken) return;
    this.woken = true;
    const wakeUp = this.wakeUp;
    if (!wakeUp) return;
    if (this.options.wakeDelayMs) setTimeout(wakeUp, this.options.wakeDelayMs);
    else wakeUp();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.done;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let wait = this.options.idleMs;
      try {
        this.woken = false;
        if ((await this.step()) > 0) continue;
      } catch (error) {
        this.logger.error({ err: error, loop: this.name }, 'background loop step failed');
        wait = this.options.errorMs ?? 1_000;
      }
      if (this.woken || !this.running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }
}
