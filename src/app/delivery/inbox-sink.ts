import type { IdGenerator } from '../../ports/id-generator.js';
import type { InboundSink } from '../../ports/inbound-sink.js';
import type { InboxEntry, InboxStore } from '../../ports/inbox-store.js';
import { Coalescer } from '../coalescer.js';

/**
 * Stores verified webhook events in the inbox; workers process them after the provider has its 200. Concurrent
 * webhooks are written together (group commit), each request still answered only once its events are stored.
 */
export function createInboxSink(deps: {
  inbox: InboxStore;
  ids: IdGenerator;
  onStored?: (count: number) => void;
}): InboundSink {
  const writer = new Coalescer<Omit<InboxEntry, 'attempts'>[], true>(
    async (batches) => {
      const stored = await deps.inbox.append(batches.flat());
      deps.onStored?.(stored);
      return batches.map(() => true as const);
    },
    { maxBatch: 200, linger: true },
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
