import { z } from 'zod';
import type { WebhookRequest, WebhookResult } from '../../ports/channel-adapter.js';
import { metaEntryEvents } from '../meta/meta-webhook-events.js';
import type { SnsReceiver } from '../sns/sns-receiver.js';

/** AWS's event envelope: the SNS `Message`, whose `whatsAppWebhookEntry` is one Meta `entry` as a JSON string. */
const socialEventSchema = z.looseObject({
  whatsAppWebhookEntry: z.string().min(2),
  context: z.looseObject({}).optional(),
  aws_account_id: z.string().optional(),
  message_timestamp: z.string().optional(),
});

/**
 * AWS End User Messaging Social events as SNS delivers them: the SNS signature is checked (and subscriptions
 * confirmed) by the receiver, then the Meta entry inside is parsed like a Graph webhook. Events of the WABA's other
 * numbers are skipped when the channel names its Meta phone-number id.
 *
 * @example
 * const result = await eumSocialWebhook(request, { sns, metaPhoneNumberId: '1065...', now: clock.now });
 */
export async function eumSocialWebhook(
  request: WebhookRequest,
  settings: { readonly sns: SnsReceiver; readonly metaPhoneNumberId?: string; readonly now: () => number },
): Promise<WebhookResult> {
  const receipt = await settings.sns.receive(request);
  if (receipt.kind === 'rejected') return { accepted: false, status: receipt.status, reason: receipt.reason };
  if (receipt.kind !== 'notification') return { accepted: true, events: [] };

  let entry: unknown;
  try {
    const event = socialEventSchema.safeParse(JSON.parse(receipt.message));
    if (!event.success) throw new Error('not an event');
    entry = JSON.parse(event.data.whatsAppWebhookEntry);
  } catch {
    return {
      accepted: false,
      status: 400,
      reason: 'the SNS message is not an End User Messaging Social event',
    };
  }
  const { events } = metaEntryEvents(entry, {
    receivedAt: settings.now(),
    ...(settings.metaPhoneNumberId === undefined ? {} : { phoneNumberId: settings.metaPhoneNumberId }),
  });
  return { accepted: true, events };
}
