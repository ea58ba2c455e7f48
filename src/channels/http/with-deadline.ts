/**
 * Runs a provider call with an abort signal that fires `timeoutMs` from now (a `TimeoutError`, as
 * `AbortSignal.timeout` gives), and clears its timer as soon as the call settles. `AbortSignal.timeout` keeps its
 * timer and signal alive for the whole timeout even after the answer came: at thousands of sends a second with a
 * 10-second timeout, tens of thousands of them, which the garbage collector carries into the old generation.
 *
 * @example
 * const text = await withDeadline(5_000, async (signal) => (await pool.request({ path, method, signal })).body.text());
 */
export async function withDeadline<T>(
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  // Like AbortSignal.timeout's: a pending deadline alone does not keep the process alive.
  timer.unref();
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
