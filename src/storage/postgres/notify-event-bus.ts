import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { HeraldEvent, MessageInboundEvent } from '../../domain/herald-event.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { Logger } from '../../ports/logger.js';
import { createInMemoryEventBus } from '../../runtime/in-memory-event-bus.js';

/** NOTIFY payloads are limited to 8000 bytes (bytes, not characters). */
const MAX_PAYLOAD_BYTES = 7_500;
/** Bytes of notifications sent by one statement. */
const PER_FLUSH_BYTES = 512 * 1024;
/**
 * Bytes of notifications waiting to be sent before new ones are dropped. The live stream is best effort
 * (subscriptions are the durable path): under a million-message campaign, unbounded fire-and-forget NOTIFYs queued
 * in the client and grew the process by a gigabyte; a bound of 20,000 notifications still allowed 150 MB.
 */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/**
 * Separates notifications in the one text parameter of a flush: JSON never holds a raw line feed. (As a `text[]`
 * parameter, pg escaped every quote of every event into new strings: a fifth of a campaign's garbage.)
 */
const SEPARATOR = '\n';

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
}): Promise<EventBus & { readonly stats: { pending: number; pendingBytes: number; dropped: number } }> {
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

  const stats = { pending: 0, pendingBytes: 0, dropped: 0 };
  const queue: { readonly payload: string; readonly bytes: number }[] = [];
  let flushing: Promise<void> | undefined;
  let warnedAt = 0;

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      let count = 0;
      let bytes = 0;
      while (count < queue.length && bytes < PER_FLUSH_BYTES)
        bytes += (queue[count++] as { bytes: number }).bytes;
      const part = queue.splice(0, count);
      stats.pending = queue.length;
      stats.pendingBytes -= bytes;
      try {
        await publisher.query(`SELECT pg_notify($1, p) FROM unnest(string_to_array($2, E'\\n')) AS p`, [
          channel,
          part.map((n) => n.payload).join(SEPARATOR),
        ]);
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
      const payloads: { payload: string; bytes: number }[] = [];
      let bytes = 0;
      const seal = () => {
        if (packed.length > 0) {
          payloads.push({ payload: `${ownPrefix},"e":[${packed.join(',')}]}`, bytes: size });
          bytes += size;
        }
        packed = [];
        size = envelope;
      };
      for (const event of events) {
        let json = JSON.stringify(event);
        let length = Buffer.byteLength(json);
        if (length + envelope > MAX_PAYLOAD_BYTES && event.type === 'message.inbound') {
          json = JSON.stringify(withoutContent(event));
          length = Buffer.byteLength(json);
        }
        if (length + envelope > MAX_PAYLOAD_BYTES) continue;
        if (size + length + 1 > MAX_PAYLOAD_BYTES) seal();
        packed.push(json);
        size += length + 1;
      }
      seal();
      if (payloads.length === 0) return;
      if (stats.pendingBytes + bytes > MAX_PENDING_BYTES) {
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
      for (const payload of payloads) queue.push(payload);
      stats.pending = queue.length;
      stats.pendingBytes += bytes;
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
