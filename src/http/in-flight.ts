import type { FastifyReply } from 'fastify';
import type { HeraldFastify } from './herald-fastify.js';

/**
 * The requests a server is answering, so that a shutdown can keep listening until they are done.
 *
 * @example
 * const inFlight = trackInFlight(app);
 * await inFlight.drained({ minMs: 5_000, graceMs: 5_000 }); // then app.close()
 */
export interface InFlight {
  /**
   * Requests received and not answered yet. A stream, once open (a hijacked reply, the event stream), is not
   * counted: it lasts as long as its client stays.
   */
  count(): number;
  /**
   * Resolves when `minMs` have passed and no request is in flight, or `graceMs` after `minMs` whatever is still
   * in flight (the server's close then cuts it).
   */
  drained(options: { minMs: number; graceMs: number }): Promise<void>;
}

/** How often a drain looks again. */
const POLL_MS = 25;

/** Counts the requests of `app` from here on (an `onRequest` hook; register it before the routes). */
export function trackInFlight(app: HeraldFastify): InFlight {
  const open = new Set<FastifyReply>();
  // 'close' is emitted whether the answer was sent or the client went away (after which no onResponse comes).
  app.addHook('onRequest', (_request, reply, done) => {
    open.add(reply);
    reply.raw.once('close', () => open.delete(reply));
    done();
  });
  const count = () => {
    let n = 0;
    for (const reply of open) if (!reply.sent) n++;
    return n;
  };
  return {
    count,
    async drained({ minMs, graceMs }) {
      const began = Date.now();
      for (;;) {
        const elapsed = Date.now() - began;
        if ((elapsed >= minMs && count() === 0) || elapsed >= minMs + graceMs) return;
        await new Promise((resolve) =>
          setTimeout(resolve, elapsed < minMs ? Math.min(POLL_MS, minMs - elapsed) : POLL_MS),
        );
      }
    },
  };
}
