import { describe, expect, it } from 'vitest';
import type { ClaimedJob, JobSettlement } from '../../ports/send-queue.js';
import { SenderRunner, type SenderRunnerDeps } from './sender-runner.js';

const NOW = 1_800_000_000_000;

function job(id: string): ClaimedJob {
  return {
    id,
    messageId: `m-${id}`,
    senderKey: 'wa:1',
    recipientHash: `r-${id}`,
    attempts: 1,
    payload: { appId: 'a1', channelId: 'wa', to: '+16505550100', content: { kind: 'text', text: 'hi' } },
  };
}

describe('SenderRunner', () => {
  it('writes a batch of outcomes again after a transient failure instead of leaving its jobs to their lease', async () => {
    const attempts: string[][] = [];
    const logged: string[] = [];
    // Only what recording outcomes touches; the runner's own loop stops at once (no channel for the sender).
    const deps = {
      channels: {
        findBySenderKey: async () => {
          throw new Error('no channels in this test');
        },
      },
      queue: {
        settle: async (batch: readonly JobSettlement[]) => {
          attempts.push(batch.map((s) => s.job.id));
          if (attempts.length === 1) throw new Error('deadlock detected');
          return [];
        },
      },
      events: { prepare: async () => {}, writerFor: () => () => {}, publish: () => {} },
      metrics: { statusChanged: () => {} },
      afterHold: async () => {},
      clock: { now: () => NOW },
      logger: {
        warn: (_: object, msg?: string) => logged.push(`warn ${msg}`),
        error: (_: object, msg?: string) => logged.push(`error ${msg}`),
      },
      options: { batchSize: 2, flushMs: 5, senderLeaseMs: 60_000 },
    } as unknown as SenderRunnerDeps;
    const runner = new SenderRunner(deps, 'wa:1', 'w1');
    await runner.done;
    const settle = (runner as unknown as { settle(s: JobSettlement): void }).settle.bind(runner);
    settle({ kind: 'sent', job: job('1'), providerMessageId: 'wamid.1' } as JobSettlement);
    settle({ kind: 'sent', job: job('2'), providerMessageId: 'wamid.2' } as JobSettlement);

    await expect.poll(() => attempts.length, { timeout: 2_000 }).toBe(2);
    expect(attempts).toEqual([
      ['1', '2'],
      ['1', '2'],
    ]);
    expect(logged).toContain('warn could not record send outcomes; retrying');
  });

  it('stops claiming while outcomes wait to be written, then writes what piled up in a few batches', async () => {
    let claimed = 0;
    let settleCalls = 0;
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    // A provider that accepts at once and a database that cannot write outcomes until the gate opens.
    const deps = {
      channels: {
        findBySenderKey: async () => [{ provider: 'custom', limits: { messagesPerSecond: 1_000_000 } }],
      },
      directory: {
        provider: () => {
          throw new Error('no provider facts in this test');
        },
        adapterFor: async () => ({
          adapter: { send: async () => ({ ok: true, providerMessageId: 'p' }) },
          channel: { provider: 'custom', channelType: 'SMS' },
        }),
      },
      queue: {
        claim: async (_: string, { limit }: { limit: number }) => {
          // A round trip, as to a database: the loop must not starve the timers.
          await new Promise((resolve) => setImmediate(resolve));
          return Array.from({ length: limit }, () => job(String(++claimed)));
        },
        settle: async () => {
          settleCalls += 1;
          await gate;
          return [];
        },
        acquireLease: async () => true,
        releaseLease: async () => {},
      },
      events: { prepare: async () => {}, writerFor: () => () => {}, publish: () => {} },
      metrics: { statusChanged: () => {}, sendOutcome: () => {}, sendLatency: () => {} },
      afterHold: async () => {},
      clock: { now: () => Date.now() },
      random: () => 0.5,
      logger: { warn: () => {}, error: () => {} },
      options: {
        batchSize: 10,
        maxInFlight: 20,
        flushMs: 1,
        claimLingerMs: 1,
        pollMs: 5,
        idleMs: 60_000,
        jobLeaseMs: 60_000,
        senderLeaseMs: 60_000,
      },
    } as unknown as SenderRunnerDeps;
    const runner = new SenderRunner(deps, 'sms:1', 'w1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Two batches of outcomes waiting, at most one claim more in flight: not everything the provider would take.
    expect(claimed).toBeLessThanOrEqual(40);
    expect(settleCalls).toBe(1);
    openGate();
    await expect.poll(() => claimed, { timeout: 2_000 }).toBeGreaterThan(100);
    await runner.stop();
    // Each write took what was pending: a few writes, not one per batch of settled jobs. (The chain of empty
    // flushes the old code queued is not visible here: they returned before writing; the heap snapshot found it.)
    expect(settleCalls).toBeLessThan(claimed / 5);
  });
});
