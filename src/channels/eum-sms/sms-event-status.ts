import type { DeliveryStatus } from '../../domain/channel-event.js';

/**
 * How End User Messaging SMS event types map to Herald's delivery statuses (provider-facts §3.2):
 *
 * | event type | status |
 * | --- | --- |
 * | TEXT_DELIVERED, TEXT_SUCCESSFUL (accepted by the carrier; some countries send only this, as final) | delivered |
 * | TEXT_SUCCESSFUL that says it is not final (`isFinal: false`: the carrier may still fail it) | sent |
 * | TEXT_PENDING, TEXT_QUEUED | sent |
 * | TEXT_BLOCKED, TEXT_CARRIER_BLOCKED, TEXT_PROTECT_BLOCKED, TEXT_SPAM, TEXT_INVALID, TEXT_INVALID_MESSAGE, TEXT_UNREACHABLE, TEXT_CARRIER_UNREACHABLE, TEXT_TTL_EXPIRED, TEXT_UNKNOWN | failed, with the event type as the error code |
 * | any other TEXT_* | failed when the event says `isFinal`, otherwise sent |
 */
const STATUS: Readonly<Record<string, DeliveryStatus>> = {
  TEXT_DELIVERED: 'delivered',
  TEXT_SUCCESSFUL: 'delivered',
  TEXT_PENDING: 'sent',
  TEXT_QUEUED: 'sent',
  TEXT_BLOCKED: 'failed',
  TEXT_CARRIER_BLOCKED: 'failed',
  TEXT_PROTECT_BLOCKED: 'failed',
  TEXT_SPAM: 'failed',
  TEXT_INVALID: 'failed',
  TEXT_INVALID_MESSAGE: 'failed',
  TEXT_UNREACHABLE: 'failed',
  TEXT_CARRIER_UNREACHABLE: 'failed',
  TEXT_TTL_EXPIRED: 'failed',
  TEXT_UNKNOWN: 'failed',
};

/** The delivery status an SMS event reports; undefined for events that are not about text messages. */
export function smsEventStatus(eventType: string, isFinal: boolean | undefined): DeliveryStatus | undefined {
  if (!eventType.startsWith('TEXT_')) return undefined;
  // `delivered` is an SMS's last status: taken from an interim acceptance, it would refuse the carrier's later
  // failure (TEXT_CARRIER_UNREACHABLE after TEXT_SUCCESSFUL was lost, the message left `delivered`).
  if (eventType === 'TEXT_SUCCESSFUL' && isFinal === false) return 'sent';
  return STATUS[eventType] ?? (isFinal ? 'failed' : 'sent');
}
