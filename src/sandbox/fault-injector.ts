export interface FaultSettings {
  /** Share of requests answered with the provider's retryable server error (0-1). */
  readonly errorRate: number;
  /** Share of requests answered with the provider's throttling error (0-1). */
  readonly throttleRate: number;
  /** Share of requests whose response never comes in time (0-1); the message is still accepted, as on a lost reply. */
  readonly timeoutRate: number;
  /** How long a timed-out request hangs before the sandbox drops the connection. */
  readonly timeoutMs: number;
  /** Extra latency added to every request. */
  readonly latencyMs: number;
}

export type FaultDecision =
  | { readonly kind: 'none'; readonly latencyMs: number }
  | { readonly kind: 'error' | 'throttle'; readonly latencyMs: number }
  | { readonly kind: 'timeout'; readonly latencyMs: number; readonly hangMs: number };

const NONE: FaultSettings = {
  errorRate: 0,
  throttleRate: 0,
  timeoutRate: 0,
  timeoutMs: 30_000,
  latencyMs: 0,
};

/**
 * Injected faults, per provider or for all (`*`). Each provider decides how a fault looks on its wire (a Meta
 * 131000, a LINE 500, an AWS InternalServerException).
 *
 * @example
 * faults.configure('whatsapp', { errorRate: 0.1 });
 * const decision = faults.decide('whatsapp'); // { kind: 'error', latencyMs: 0 } one time in ten
 */
export class FaultInjector {
  private readonly settings = new Map<string, FaultSettings>();

  constructor(private readonly random: () => number) {}

  configure(provider: string, settings: Partial<FaultSettings>): FaultSettings {
    const merged = { ...(this.settings.get(provider) ?? NONE), ...settings };
    this.settings.set(provider, merged);
    return merged;
  }

  get(provider: string): FaultSettings {
    return this.settings.get(provider) ?? this.settings.get('*') ?? NONE;
  }

  decide(provider: string): FaultDecision {
    const s = this.get(provider);
    const roll = this.random();
    if (roll < s.timeoutRate) return { kind: 'timeout', latencyMs: s.latencyMs, hangMs: s.timeoutMs };
    if (roll < s.timeoutRate + s.errorRate) return { kind: 'error', latencyMs: s.latencyMs };
    if (roll < s.timeoutRate + s.errorRate + s.throttleRate)
      return { kind: 'throttle', latencyMs: s.latencyMs };
    return { kind: 'none', latencyMs: s.latencyMs };
  }

  reset(): void {
    this.settings.clear();
  }
}
