import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from './with-deadline.js';

describe('withDeadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives the call its answer and leaves no timer behind', async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    const answer = await withDeadline(10_000, async (signal) => {
      seen = signal;
      return 'ok';
    });
    expect(answer).toBe('ok');
    // AbortSignal.timeout would keep its timer for the whole 10 seconds.
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(20_000);
    expect(seen?.aborted).toBe(false);
  });

  it('aborts a call that outlives the deadline with a TimeoutError, as AbortSignal.timeout does', async () => {
    vi.useFakeTimers();
    const pending = withDeadline(
      400,
      (signal) =>
        new Promise<string>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    );
    const settled = pending.catch((error: unknown) => error);
    vi.advanceTimersByTime(399);
    await Promise.resolve();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1);
    const error = await settled;
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('TimeoutError');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer when the call fails', async () => {
    vi.useFakeTimers();
    await expect(
      withDeadline(10_000, async () => {
        throw new Error('connection refused');
      }),
    ).rejects.toThrow('connection refused');
    expect(vi.getTimerCount()).toBe(0);
  });
});
