import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { HeraldEvent } from '../../domain/herald-event.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { Logger } from '../../ports/logger.js';
import { createInMemoryEventBus } from '../../runtime/in-memory-event-bus.js';

/** NOTIFY payloads are limited to 8000 bytes; larger events lose their message content on the live stream. */
const MAX_PAYLOAD = 7_500;

/**
 * The live event bus across processes on PostgreSQL: events published here reach this process's listeners at once
 * and other processes' through LISTEN/NOTIFY on `channel`.
 */
export async function createNotifyEventBus(options: {
  url: string;
  channel: string;
  logger: Logger;
}): Promise<EventBus> {
  const local = createInMemoryEventBus();
  const origin = randomUUID();
  const channel = options.channel.replace(/[^a-z0-9_]/gi, '_').slice(0, 60);
  const listener = new pg.Client({ connectionString: options.url });
  const publisher = new pg.Pool({ connectionString: options.url, max: 2 });
  await listener.connect();
  await listener.query(`LISTEN ${channel}`);
  listener.on('notification', (message) => {
    if (!message.payload) return;
    try {
      const { o, e } = JSON.parse(message.payload) as { o: string; e: HeraldEvent };
      if (o !== origin) local.publish([e]);
    } catch (error) {
      options.logger.warn({ err: error }, 'unreadable event notification');
    }
  });
  listener.on('error', (error) => options.logger.error({ err: error }, 'event listener connection failed'));

  return {
    publish(events) {
      local.publish(events);
      for (const event of events) {
        let payload = JSON.stringify({ o: origin, e: event });
        if (payload.length > MAX_PAYLOAD && event.type === 'message.inbound') {
          payload = JSON.stringify({
            o: origin,
            e: {
              ...event,
              data: {
                ...event.data,
                content: {
                  kind: 'unsupported',
                  providerType: `${event.data.content.kind} (too large for the live stream)`,
                },
              },
            },
          });
        }
        if (payload.length > MAX_PAYLOAD) continue;
        publisher.query('SELECT pg_notify($1, $2)', [channel, payload]).catch((error: unknown) => {
          options.logger.warn({ err: error }, 'could not publish an event notification');
        });
      }
    },
    subscribe: (appId, fn) => local.subscribe(appId, fn),
    async close() {
      await local.close();
      await listener.end().catch(() => {});
      await publisher.end().catch(() => {});
    },
  };
}
