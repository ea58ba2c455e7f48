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

  const status = (id: string, attempts = 1): InboxEntry => ({
    id,
    appId: 'a1',
    channelId: 'wa',
    senderKey: 'wa:1',
    receivedAt: NOW - 10,
    attempts,
    event: {
      type: 'status',
      eventId: `e-${id}`,
      occurredAt: NOW - 20,
      providerMessageId: `wamid.${id}`,
      status: 'read',
    },
  });

  /** A processor whose ledger refuses any batch holding `poison`, recording what it completes and releases. */
  const harness = (batch: InboxEntry[], poison: string) => {
    const completed: string[] = [];
    const released: { ids: readonly string[]; retryAt: number }[] = [];
    const abandoned: number[] = [];
    const errors: unknown[] = [];
    let claims = 0;
    const deps = {
      inbox: {
        claim: async () => (claims++ === 0 ? batch : []),
        complete: async (ids: readonly string[]) => {
          completed.push(...ids);
        },
        release: async (ids: readonly string[], retryAt: number) => {
          released.push({ ids, retryAt });
        },
      },
      ledger: {
        applyProviderStatuses: async (updates: { providerMessageId: string }[]) => {
          if (updates.some((u) => u.providerMessageId === `wamid.${poison}`))
            throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
          return { changes: [], unmatched: [] };
        },
      },
      events: { prepare: async () => {}, writerFor: () => () => {}, publish: () => {} },
      metrics: {
        statusChanged: () => {},
        inboxProcessed: () => {},
        inboxAbandoned: (n: number) => abandoned.push(n),
      },
      logger: { error: (fields: unknown) => errors.push(fields) },
      clock: { now: () => NOW },
      options: { batchSize: 10, leaseMs: 60_000, unmatchedStatusRetryMs: 300_000 },
    } as unknown as InboxProcessorDeps;
    return { processor: new InboxProcessor(deps), completed, released, abandoned, errors };
  };

  it('brings back a status whose message it does not know after 2 s, doubling up to a minute', async () => {
    const batch = [status('new', 1), status('again', 4), status('long', 9)];
    const released: { ids: readonly string[]; retryAt: number }[] = [];
    let claims = 0;
    const deps = {
      inbox: {
        claim: async () => (claims++ === 0 ? batch : []),
        complete: async () => {},
        release: async (ids: readonly string[], retryAt: number) => {
          released.push({ ids, retryAt });
        },
      },
      // None of them is in the ledger (yet): a send still being recorded, or another system's message.
      ledger: { applyProviderStatuses: async () => ({ changes: [], unmatched: [0, 1, 2] }) },
      events: { prepare: async () => {}, writerFor: () => () => {}, publish: () => {} },
      metrics: { statusChanged: () => {}, inboxProcessed: () => {} },
      clock: { now: () => NOW },
      options: { batchSize: 10, leaseMs: 60_000, unmatchedStatusRetryMs: 300_000 },
    } as unknown as InboxProcessorDeps;
    await new InboxProcessor(deps).processBatch();
    expect(released.sort((a, b) => a.retryAt - b.retryAt)).toEqual([
      { ids: ['new'], retryAt: NOW + 2_000 },
      { ids: ['again'], retryAt: NOW + 16_000 },
      { ids: ['long'], retryAt: NOW + 60_000 },
    ]);
  });

  it('retries a failed batch one event at a time, so one bad event does not hold back the others', async () => {
    const h = harness([status('good-1'), status('bad', 3), status('good-2')], 'bad');
    expect(await h.processor.processBatch()).toBe(3);
    expect(h.completed.sort()).toEqual(['good-1', 'good-2']);
    // Its third attempt: the next in 2 s * 2^2.
    expect(h.released).toEqual([{ ids: ['bad'], retryAt: NOW + 8_000 }]);
    expect(h.abandoned).toEqual([]);
  });

  it('gives up on an event that failed every attempt: logged, counted, no longer retried', async () => {
    const h = harness([status('bad', 10)], 'bad');
    await expect(h.processor.processBatch()).rejects.toThrow('0x00');
    expect(h.released).toEqual([]);
    expect(h.completed).toEqual(['bad']);
    expect(h.abandoned).toEqual([1]);
    expect(h.errors).toEqual([expect.objectContaining({ inboxIds: ['bad'], eventTypes: ['status'] })]);
  });

  it('backs off up to five minutes between attempts', async () => {
    const h = harness([status('bad', 9)], 'bad');
    await expect(h.processor.processBatch()).rejects.toThrow();
    expect(h.released).toEqual([{ ids: ['bad'], retryAt: NOW + 300_000 }]);
  });
});
