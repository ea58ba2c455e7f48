import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/create-logger.js';
import { LazyChildLogger } from './lazy-child-logger.js';

function parentLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level, destination }) as unknown as FastifyBaseLogger;
  const made: unknown[] = [];
  // The parent as fastify hands it over, counting the children it is asked for.
  const parent: FastifyBaseLogger = Object.assign(Object.create(logger) as FastifyBaseLogger, {
    child: (bindings: Record<string, unknown>, options?: object) => {
      made.push(bindings);
      return logger.child(bindings, options);
    },
  });
  return { parent, lines, made };
}

describe('LazyChildLogger', () => {
  it('makes the child logger only when something is logged, with its bindings', async () => {
    const { parent, lines, made } = parentLogger('info');
    const log = new LazyChildLogger(parent, { reqId: 'r-1' });
    expect(log.level).toBe('info');
    log.debug({ skipped: true }, 'below the level');
    expect(lines).toEqual([]);
    const unused = new LazyChildLogger(parent, { reqId: 'r-2' });
    expect(unused.level).toBe('info');
    log.warn({ appId: 'a1' }, 'webhook rejected');
    log.error('plain message');
    await new Promise((resolve) => setImmediate(resolve));
    expect(made).toEqual([{ reqId: 'r-1' }]);
    expect(lines).toMatchObject([
      { reqId: 'r-1', appId: 'a1', msg: 'webhook rejected', level: 40 },
      { reqId: 'r-1', msg: 'plain message', level: 50 },
    ]);
  });

  it("keeps the parent's redaction and a route's own level", async () => {
    const { parent, lines } = parentLogger('warn');
    const log = new LazyChildLogger(parent, { reqId: 'r-3' }, { level: 'debug' });
    expect(log.level).toBe('debug');
    log.debug({ req: { headers: { authorization: 'Bearer secret' } } }, 'request');
    log.child({ appId: 'a1' }).info('from a grandchild');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toMatchObject([
      { reqId: 'r-3', req: { headers: { authorization: '[redacted]' } }, msg: 'request' },
      { reqId: 'r-3', appId: 'a1', msg: 'from a grandchild' },
    ]);
    log.level = 'error';
    log.warn('now below the level');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
  });
});
