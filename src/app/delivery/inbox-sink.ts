import type { IdGenerator } from '../../ports/id-generator.js';
import type { InboundSink } from '../../ports/inbound-sink.js';
import type { InboxEntry, InboxStore } from '../../ports/inbox-store.js';
import { Coalescer } from '../coalescer.js';
import type { LocalInbox } from './local-inbox.js';

/**
 * Stores verified webhook events in the inbox; workers process them after the provider has its 200. Concurrent
 * webhooks are written together (group commit), each request still answered only once its events are stored.
 * When this process's own inbox processor runs (`local`), the new events are stored leased to it and handed over
 * in memory.
 */
export function createInboxSink(deps: {
  inbox: InboxStore;
  ids: IdGenerator;
  now: () => number;
  local?: LocalInbox;
  onStored?: (count: number) => void;
  /** Group commits in flight at once (the coalescer's `writesInFlight`): 2 on PostgreSQL, 1 on SQLite. */
  writesInFlight?: number;
}): InboundSink {
  const writer = new Coalescer<Omit<InboxEntry, 'attempts'>[], true>(
    async (batches) => {
      const entries = batches.flat();
      const lockedUntil = deps.local?.lease(entries.length, deps.now());
      const stored = await deps.inbox.append(entries, lockedUntil === undefined ? {} : { lockedUntil });
      if (lockedUntil !== undefined && stored.length > 0) {
        const fresh = new Set(stored);
        deps.local?.push(
          entries.filter((e) => fresh.has(e.id)).map((e) => ({ ...e, attempts: 1 })),
          lockedUntil,
        );
      }
      deps.onStored?.(stored.length);
      return batches.map(() => true as const);
    },
    { maxBatch: 200, linger: true, writesInFlight: deps.writesInFlight ?? 1 },
  );
  return {
    async accept(batch) {
      await writer.submit(
        batch.events.map((event) => ({
          id: deps.ids.next(),
          appId: batch.appId,
          channelId: batch.channelId,
          senderKey: batch.senderKey,
          event,
          receivedAt: batch.receivedAt,
        })),
      );
    },
  };
}
