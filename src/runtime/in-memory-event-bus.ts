import type { HeraldEvent } from '../domain/herald-event.js';
import type { EventBus } from '../ports/event-bus.js';

/** Events for listeners in this process. */
export function createInMemoryEventBus(): EventBus {
  const listeners = new Map<string, Set<(event: HeraldEvent) => void>>();
  return {
    publish(events) {
      for (const event of events) {
        for (const listener of listeners.get(event.appId) ?? []) listener(event);
      }
    },
    subscribe(appId, listener) {
      const set = listeners.get(appId) ?? new Set();
      set.add(listener);
      listeners.set(appId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(appId);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}
