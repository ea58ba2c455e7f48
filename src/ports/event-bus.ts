import type { HeraldEvent } from '../domain/herald-event.js';

/**
 * Live events for the server-sent stream. Best effort: a listener that is not connected misses events (the durable
 * path is subscriptions). Across processes on PostgreSQL it is carried by LISTEN/NOTIFY.
 *
 * @example
 * const stop = bus.subscribe(appId, (event) => stream.write(event));
 * bus.publish(events);
 */
export interface EventBus {
  publish(events: readonly HeraldEvent[]): void;
  subscribe(appId: string, listener: (event: HeraldEvent) => void): () => void;
  close(): Promise<void>;
}
