/**
 * A message's life: `queued` (or `awaiting_window` when WhatsApp's 24-hour window is closed) ->
 * `sent_for_delivery` (the provider accepted it) -> `sent` -> `delivered` -> `read`; or `failed`, `expired`
 * (held past the hold time), `cancelled`.
 */
export const MESSAGE_STATUSES = [
  'queued',
  'awaiting_window',
  'sent_for_delivery',
  'sent',
  'delivered',
  'read',
  'failed',
  'expired',
  'cancelled',
] as const;

export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Statuses after which nothing is sent any more. `failed` can still be corrected by a late delivered/read. */
export const FINAL_STATUSES: readonly MessageStatus[] = ['read', 'failed', 'expired', 'cancelled'];

export function isFinal(status: MessageStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

const PROGRESS: Readonly<Record<MessageStatus, number>> = {
  queued: 0,
  awaiting_window: 0,
  sent_for_delivery: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
  expired: 5,
  cancelled: 5,
};

/**
 * The statuses a message may be in for `to` to apply. Updates are monotonic: a late `delivered` never overwrites
 * `read`, a duplicate changes nothing; `failed` only lands before delivery, and a delivered/read that arrives after a
 * `failed` (multi-device) corrects it. `expired` and `cancelled` are final for good.
 *
 * @example
 * allowedFrom('delivered'); // ['queued', 'awaiting_window', 'sent_for_delivery', 'sent', 'failed']
 */
export function allowedFrom(to: MessageStatus): readonly MessageStatus[] {
  switch (to) {
    case 'queued':
      return ['awaiting_window'];
    case 'awaiting_window':
      // A late 131047 arrives after the provider accepted the message, possibly after `sent`.
      return ['queued', 'sent_for_delivery', 'sent'];
    case 'failed':
      return ['queued', 'awaiting_window', 'sent_for_delivery', 'sent'];
    case 'expired':
    case 'cancelled':
      return ['queued', 'awaiting_window'];
    default:
      return MESSAGE_STATUSES.filter(
        (from) =>
          from !== to &&
          from !== 'expired' &&
          from !== 'cancelled' &&
          (from === 'failed' ? to === 'delivered' || to === 'read' : PROGRESS[from] < PROGRESS[to]),
      );
  }
}

export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  return allowedFrom(to).includes(from);
}
