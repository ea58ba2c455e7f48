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
});
