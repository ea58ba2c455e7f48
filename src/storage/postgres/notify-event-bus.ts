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

/** A process with listeners says which apps they watch this often; others forget an app after three silences. */
const ANNOUNCE_MS = 10_000;
/** A lost LISTEN connection is opened again after this long, doubling up to the maximum while it fails. */
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

export interface NotifyEventBusStats {
  /** Notifications waiting to be sent, and their bytes. */
  pending: number;
  pendingBytes: number;
  /** Notifications dropped because the backlog was full. */
  dropped: number;
  /** Events sent to other processes. */
  notified: number;
  /** Apps that listeners in other processes watch, as last heard. */
  watchedElsewhere: number;
}

/**
 * The live event bus across processes on PostgreSQL: events published here reach this process's listeners at once
 * and other processes' through LISTEN/NOTIFY on `channel`. Events are packed several to a notification and sent by
 * one statement per flush, one flush in flight at a time; a process skips its own notifications unparsed.
 *
 * Only events of apps that a listener in another process watches are sent: a process with listeners announces
 * their apps on the channel when the first listener of an app arrives and every 10 s after, and a new process asks
 * who watches what. With no console open, a campaign sends no notifications at all (it used to serialise and send
 * every status change of every message).
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
  /** How often watched apps are announced (tests shorten it). */
  announceMs?: number;
}): Promise<EventBus & { readonly stats: NotifyEventBusStats }> {
  const announceMs = options.announceMs ?? ANNOUNCE_MS;
  const local = createInMemoryEventBus();
  const origin = randomUUID();
  const ownPrefix = `{"o":"${origin}"`;
  // What a notification adds around its events: `${ownPrefix},"e":[` and `]}`.
  const envelope = ownPrefix.length + 8;
  const channel = options.channel.replace(/[^a-z0-9_]/gi, '_').slice(0, 60);
  const publisher = new pg.Pool({ connectionString: options.url, max: 1 });
  // An idle publisher connection that fails is replaced on the next query; unheard, its error ends the process.
  publisher.on('error', (error) => options.logger.warn({ err: error }, 'event publisher connection failed'));
  const stats: NotifyEventBusStats = {
    pending: 0,
    pendingBytes: 0,
    dropped: 0,
    notified: 0,
    watchedElsewhere: 0,
  };
  /** Listeners in this process, by app. */
  const watched = new Map<string, number>();
  /** Apps watched in other processes, until when. */
  const watchedElsewhere = new Map<string, number>();

  const notify = (payload: string): void => {
    publisher
      .query('SELECT pg_notify($1, $2)', [channel, payload])
      .catch((error: unknown) => options.logger.warn({ err: error }, 'could not announce watched apps'));
  };
  const announce = (appIds: readonly string[]): void => {
    // App ids are short: a few hundred to a notification.
    for (let i = 0; i < appIds.length; i += 200)
      notify(`${ownPrefix},"w":${JSON.stringify(appIds.slice(i, i + 200))}}`);
  };

  const onNotification = (message: pg.Notification): void => {
    if (!message.payload || message.payload.startsWith(ownPrefix)) return;
    try {
      const parsed = JSON.parse(message.payload) as { o: string; e?: HeraldEvent[]; w?: string[]; q?: 1 };
      if (parsed.e) local.publish(parsed.e);
      else if (parsed.w) {
        const until = Date.now() + 3 * announceMs;
        for (const appId of parsed.w) watchedElsewhere.set(appId, until);
        stats.watchedElsewhere = watchedElsewhere.size;
      } else if (parsed.q && watched.size > 0) announce([...watched.keys()]);
    } catch (error) {
      options.logger.warn({ err: error }, 'unreadable event notification');
    }
  };

  // The LISTEN connection, opened again whenever it is lost (a database restart, a failover, an idle timeout):
  // without it this process would hear nothing from the others for the rest of its life.
  let closed = false;
  let retryMs = RECONNECT_MIN_MS;
  let listener: pg.Client | undefined;
  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: options.url });
    client.on('notification', onNotification);
    client.on('error', (error) => options.logger.warn({ err: error }, 'event listener connection failed'));
    client.on('end', () => {
      if (!closed && listener === client) {
        listener = undefined;
        reconnect();
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    listener = client;
  };
  const reconnect = (): void => {
    const timer = setTimeout(async () => {
      if (closed) return;
      try {
        await listen();
        if (closed) {
          await listener?.end().catch(() => {});
          return;
        }
        retryMs = RECONNECT_MIN_MS;
        options.logger.info({ channel }, 'event listener connection restored');
        // What was said while it was down is lost (the live stream is best effort): ask again who watches what,
        // and tell the others what this process watches.
        notify(`${ownPrefix},"q":1}`);
        if (watched.size > 0) announce([...watched.keys()]);
      } catch (error) {
        options.logger.warn({ err: error, retryMs }, 'could not restore the event listener connection');
        retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
        reconnect();
      }
    }, retryMs);
    timer.unref();
  };
  await listen();
  // Who watches what, for a process that starts while consoles are open elsewhere.
  notify(`${ownPrefix},"q":1}`);
  const announcer = setInterval(() => {
    const now = Date.now();
    for (const [appId, until] of watchedElsewhere) if (until < now) watchedElsewhere.delete(appId);
    stats.watchedElsewhere = watchedElsewhere.size;
    if (watched.size > 0) announce([...watched.keys()]);
  }, announceMs);
  announcer.unref();

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
      if (watchedElsewhere.size === 0) return;
      const now = Date.now();
      let sending = 0;
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
        if ((watchedElsewhere.get(event.appId) ?? 0) < now) continue;
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
        sending += 1;
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
      stats.notified += sending;
      for (const payload of payloads) queue.push(payload);
      stats.pending = queue.length;
      stats.pendingBytes += bytes;
      kick();
    },
    subscribe(appId, fn) {
      const stop = local.subscribe(appId, fn);
      const count = watched.get(appId) ?? 0;
      watched.set(appId, count + 1);
      if (count === 0) announce([appId]);
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        stop();
        const left = (watched.get(appId) ?? 1) - 1;
        if (left > 0) watched.set(appId, left);
        else watched.delete(appId);
      };
    },
    async close() {
      clearInterval(announcer);
      await flushing;
      await local.close();
      closed = true;
      await listener?.end().catch(() => {});
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
