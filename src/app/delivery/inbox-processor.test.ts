import { describe, expect, it } from 'vitest';
import type { InboxEntry } from '../../ports/inbox-store.js';
import { InboxProcessor, type InboxProcessorDeps } from './inbox-processor.js';

const NOW = 1_800_000_000_000;

describe('InboxProcessor', () => {
  it('gives a batch that failed back to the table for a retry in seconds, not when its lease runs out', async () => {
    const entry: InboxEntry = {
      id: 'in-1',
      appId: 'a1',
      channelId: 'wa',
      senderKey: 'wa:1',
      receivedAt: NOW - 10,
      attempts: 1,
      event: {
        type: 'status',
        eventId: 'e-1',
        occurredAt: NOW - 20,
        providerMessageId: 'wamid.1',
        status: 'delivered',
      },
    };
    const released: { ids: readonly string[]; retryAt: number }[] = [];
    let claims = 0;
    // Only what a status batch touches; the rest of the ports are never called.
    const deps = {
      inbox: {
        claim: async () => (claims++ === 0 ? [entry] : []),
        complete: async () => {},
        release: async (ids: readonly string[], retryAt: number) => {
          released.push({ ids, retryAt });
        },
      },
      ledger: {
        applyProviderStatuses: async () => {
          throw new Error('deadlock detected');
        },
      },
      events: { prepare: async () => {}, writerFor: () => () => {}, publish: () => {} },
      clock: { now: () => NOW },
      options: { batchSize: 10, leaseMs: 60_000, unmatchedStatusRetryMs: 300_000 },
    } as unknown as InboxProcessorDeps;

    await expect(new InboxProcessor(deps).processBatch()).rejects.toThrow('deadlock detected');
    expect(released).toEqual([{ ids: ['in-1'], retryAt: NOW + 2_000 }]);
  });
});
