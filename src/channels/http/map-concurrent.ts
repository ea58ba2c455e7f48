/**
 * Maps items through an async function with at most `limit` calls in flight, keeping the input order. A batch
 * of personalised messages becomes many provider calls; this keeps them from queueing behind one another
 * without opening more requests than the pool has connections.
 *
 * @example
 * const outcomes = await mapConcurrent(calls, 16, (call) => send(call));
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
