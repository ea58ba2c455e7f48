import { z } from 'zod';
import type { ChannelEvent } from '../../domain/channel-event.js';
import type { WebhookRequest, WebhookResult } from '../../ports/channel-adapter.js';
import type { SnsReceiver } from '../sns/sns-receiver.js';
import { smsEventStatus } from './sms-event-status.js';

/** The key under which the adapter puts Herald's message id in `Context`; AWS echoes it in every event. */
export const HERALD_CONTEXT_KEY = 'heraldMessageId';

const deliveryEventSchema = z.looseObject({
  eventType: z.string().min(1),
  eventTimestamp: z.number().optional(),
  isFinal: z.boolean().optional(),
  messageId: z.string().min(1),
  messageStatusDescription: z.string().optional(),
  context: z.record(z.string(), z.string()).optional(),
});

/** A two-way SMS as AWS publishes it to the number's SNS topic. */
const inboundSchema = z.looseObject({
  originationNumber: z.string().min(1),
  destinationNumber: z.string().min(1),
  messageBody: z.string(),
  inboundMessageId: z.string().min(1),
  messageKeyword: z.string().optional(),
});

/**
 * End User Messaging SMS events through SNS: configuration-set delivery events (`TEXT_*`, mapped by
 * `smsEventStatus`, with Herald's message id from `context`) and two-way inbound messages. When the channel's
 * origination identity is a phone number, inbound messages to other numbers are skipped. Keyword handling (STOP)
 * is the delivery engine's.
 *
 * @example
 * const result = await eumSmsWebhook(request, { sns, originationIdentity: '+12065550152', now: clock.now });
 */
export async function eumSmsWebhook(
  request: WebhookRequest,
  settings: { readonly sns: SnsReceiver; readonly originationIdentity: string; readonly now: () => number },
): Promise<WebhookResult> {
  const receipt = await settings.sns.receive(request);
  if (receipt.kind === 'rejected') return { accepted: false, status: receipt.status, reason: receipt.reason };
  if (receipt.kind !== 'notification') return { accepted: true, events: [] };

  let json: unknown;
  try {
    json = JSON.parse(receipt.message);
  } catch {
    return { accepted: false, status: 400, reason: 'the SNS message is not JSON' };
  }
  const delivery = deliveryEventSchema.safeParse(json);
  if (delivery.success) return { accepted: true, events: statusEvents(delivery.data, settings.now()) };
  const inbound = inboundSchema.safeParse(json);
  if (inbound.success) {
    const m = inbound.data;
    const ownNumber = /^\+\d+$/.test(settings.originationIdentity) ? settings.originationIdentity : undefined;
    if (ownNumber !== undefined && m.destinationNumber !== ownNumber) return { accepted: true, events: [] };
    const event: ChannelEvent = {
      type: 'message',
      eventId: m.inboundMessageId,
      occurredAt: settings.now(),
      from: m.originationNumber,
      providerMessageId: m.inboundMessageId,
      content: { kind: 'text', text: m.messageBody },
    };
    return { accepted: true, events: [event] };
  }
  return {
    accepted: false,
    status: 400,
    reason: 'the SNS message is neither an SMS event nor a two-way SMS',
  };
}

function statusEvents(event: z.output<typeof deliveryEventSchema>, receivedAt: number): ChannelEvent[] {
  // Voice and MMS events of a shared configuration set say nothing about Herald's text messages.
  const status = smsEventStatus(event.eventType, event.isFinal);
  if (!status) return [];
  const callbackData = event.context?.[HERALD_CONTEXT_KEY];
  return [
    {
      type: 'status',
      eventId: `${event.messageId}:${event.eventType}`,
      occurredAt: event.eventTimestamp ?? receivedAt,
      providerMessageId: event.messageId,
      status,
      ...(status === 'failed'
        ? { error: { code: event.eventType, message: event.messageStatusDescription ?? event.eventType } }
        : {}),
      ...(callbackData === undefined ? {} : { callbackData }),
    },
  ];
}
