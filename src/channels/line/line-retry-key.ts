import { v5 as uuidV5 } from 'uuid';

/** Herald's own UUID namespace for LINE retry keys (a fixed random v4). */
const NAMESPACE = '3f1c7d52-5a8e-4c1b-9e0f-6a2d8b4c7e91';

/**
 * The `X-Line-Retry-Key` for a push (one message id) or a multicast (its message ids): a name-based UUID (v5),
 * so every attempt of the same request, in any process, after any crash, carries the same key and LINE runs it
 * at most once. The ids are sorted first, so the order a batch was assembled in does not matter; the set does:
 * the adapter repeats a multicast whose fate is unknown with its own set (`UnsettledMulticasts`), and after a
 * restart only a retry of the same set of messages is safe.
 *
 * @example
 * lineRetryKey(['01jd5x...']) === lineRetryKey(['01jd5x...']) // true, on every machine
 */
export function lineRetryKey(messageIds: readonly string[]): string {
  return uuidV5([...messageIds].sort().join('\n'), NAMESPACE);
}
