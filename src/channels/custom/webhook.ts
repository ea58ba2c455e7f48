import type { WebhookResult } from '../../ports/channel-adapter.js';

/**
 * Custom channels deliver only: Pinpoint's contract has no status or inbound webhooks, so a request to a custom
 * channel's webhook URL is refused rather than stored.
 */
export function handleCustomWebhook(): WebhookResult {
  return {
    accepted: false,
    status: 400,
    reason:
      'custom channels take no webhooks: Pinpoint’s custom-channel contract has no statuses or inbound messages',
  };
}
