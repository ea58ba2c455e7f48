import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { HeraldEvent, MessageInboundEvent } from '../../domain/herald-event.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { Logger } from '../../ports/logger.js';
import { createInMemoryEventBus } from '../../runtime/in-memory-event-bus.js';

/** NOTIFY payloads are limited to 8000 bytes. */
const MAX_PAYLOAD = 7_500;
/** Notifications sent by one statement. */
const PER_FLUSH = 500;
/**
 * Notifications waiting to be sent before new ones are dropped. The live stream is best effort (subscriptions are
 * the durable path): under a million-message campaign, unbounded fire-and-forget NOTIFYs queued in the client and
 * grew the process by a gigabyte.
 */
const MAX_PENDING = 20_000;

/**
 * The live event bus across processes on PostgreSQL: events published here reach this process's listeners at once
 * and other processes' through LISTEN/NOTIFY on `channel`. Events are packed several to a notification and sent by
 * one statement per flush, one flush in flight at a time; a process skips its own notifications unparsed.
 *
 * @example
 * const bus = await createNotifyEventBus({ url, channel: 'herald_events', logger });
 * bus.subscribe(appId, (event) => stream.write(event));
 * bus.publish([event]); // here at once, in other processes a few milliseconds later
 */
export async function createNotifyEventBus(options: {
  url: string;
  channel: string;
  logger: Logger;
}): Promise<EventBus & { readonly stats: { pending: number; dropped: number } }> {
  const local = createInMemoryEventBus();
  const origin = randomUUID();
  const ownPrefix = `{"o":"${origin}"`;
  // What a notification adds around its events: `${ownPrefix},"e":[` and `]}`.
  const envelope = ownPrefix.length + 8;
  const channel = options.channel.replace(/[^a-z0-9_]/gi, '_').slice(0, 60);
  const listener = new pg.Client({ connectionString: options.url });
  const publisher = new pg.Pool({ connectionString: options.url, max: 1 });
  await listener.connect();
  await listener.query(`LISTEN ${channel}`);
  listener.on('notification', (message) => {
    if (!message.payload || message.payload.startsWith(ownPrefix)) return;
    try {
      const { e } = JSON.parse(message.payload) as { o: string; e: HeraldEvent[] };
      local.publish(e);
    } catch (error) {
      options.logger.warn({ err: error }, 'unreadable event notification');
    }
  });
  listener.on('error', (error) => options.logger.error({ err: error }, 'event listener connection failed'));

  const stats = { pending: 0, dropped: 0 };
  const queue: string[] = [];
  let flushing: Promise<void> | undefined;
  let warnedAt = 0;

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const part = queue.splice(0, PER_FLUSH);
      stats.pending = queue.length;
      try {
        await publisher.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [channel, part]);
      } catch (error) {
        options.logger.warn({ err: error }, 'could not publish event notifications');
      }
    }
  };

  const kick = (): void => {
    if (flushing || queue.length === 0) return;
    flushing = flush().finally(() => {
      flushing = undefined;
      kick();
    });
  };

  return {
    stats,
    publish(events) {
      local.publish(events);
      let packed: string[] = [];
      let size = envelope;
      const payloads: string[] = [];
      const seal = () => {
        if (packed.length > 0) payloads.push(`${ownPrefix},"e":[${packed.join(',')}]}`);
        packed = [];
        size = envelope;
      };
      for (const event of events) {
        let json = JSON.stringify(event);
        if (json.length + envelope > MAX_PAYLOAD && event.type === 'message.inbound')
          json = JSON.stringify(withoutContent(event));
        if (json.length + envelope > MAX_PAYLOAD) continue;
        if (size + json.length + 1 > MAX_PAYLOAD) seal();
        packed.push(json);
        size += json.length + 1;
      }
      seal();
      if (payloads.length === 0) return;
      if (queue.length + payloads.length > MAX_PENDING) {
        stats.dropped += payloads.length;
        const now = Date.now();
        if (now - warnedAt > 10_000) {
          warnedAt = now;
          options.logger.warn(
            { dropped: stats.dropped },
            'live event stream behind: notifications dropped (subscriptions are not affected)',
          );
        }
        return;
      }
      queue.push(...payloads);
      stats.pending = queue.length;
      kick();
    },
    subscribe: (appId, fn) => local.subscribe(appId, fn),
    async close() {
      await flushing;
      await local.close();
      await listener.end().catch(() => {});
      await publisher.end().catch(() => {});
    },
  };
}

/** An inbound message too large for a notification keeps everything but its content. */
function withoutContent(event: MessageInboundEvent): MessageInboundEvent {
  return {
    ...event,
    data: {
      ...event.data,
      content: {
        kind: 'unsupported',
        providerType: `${event.data.content.kind} (too large for the live stream)`,
      },
    },
  };
}
