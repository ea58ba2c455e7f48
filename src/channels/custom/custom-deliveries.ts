import type { OutboundMessage, SendFailure } from '../../ports/channel-adapter.js';
import { type PinpointEndpoint, pinpointEndpoint } from './pinpoint-endpoint.js';

/**
 * The event Pinpoint hands a custom channel, per batch of at most 50 endpoints.
 *
 * @example
 * const event: PinpointCustomEvent = { Message: {}, Data: '{"template":"spring"}', ApplicationId: 'app-1', CampaignId: 'c-1',
 *   TreatmentId: '0', ActivityId: 'a-1', ScheduledTime: '2026-11-21T09:00:00.000Z', Endpoints: { 'ep-1': pinpointEndpoint(endpoint) } };
 */
export interface PinpointCustomEvent {
  readonly Message: Record<string, never>;
  readonly Data: string;
  readonly ApplicationId: string;
  readonly CampaignId: string;
  readonly TreatmentId: string;
  readonly ActivityId: string;
  readonly ScheduledTime: string;
  readonly Endpoints: Readonly<Record<string, PinpointEndpoint>>;
}

/**
 * One call to the receiver: its event, and which of the batch's messages it carries.
 *
 * @example
 * for (const d of deliveries) d.indexes.forEach((i, n) => (outcomes[i] = { ok: true, providerMessageId: d.providerMessageIds[n] }));
 */
export interface CustomDelivery {
  readonly event: PinpointCustomEvent;
  /** Positions in the input of the messages this delivery carries, in the order of `event.Endpoints`. */
  readonly indexes: number[];
  /** Per message: `ActivityId:endpointId`, the same on every retry. */
  readonly providerMessageIds: string[];
}

/** Pinpoint invokes a custom channel with at most 50 endpoints. */
export const CUSTOM_BATCH_SIZE = 50;

/** What messages sent outside a campaign carry as their campaign context. */
export const DIRECT_CAMPAIGN_ID = 'direct';

/**
 * Groups messages into Pinpoint custom-channel events: one per (campaign, treatment, activity, data), at most 50
 * endpoints each, no endpoint twice in one event (the map is keyed by endpoint id). A message sent outside a
 * campaign gets a context of its own: `CampaignId: "direct"`, `TreatmentId: "0"`, `ActivityId` = Herald's message
 * id, `ScheduledTime` = now; without an endpoint it is keyed by its address, with only `ChannelType: "CUSTOM"`,
 * `Address` and empty maps. `Data` is the `custom` content's data (a text message's text).
 *
 * @example
 * customDeliveries(messages, { applicationId: 'app-1', now: Date.now() }).map((d) => Object.keys(d.event.Endpoints).length)
 * // [50, 50, 20] for 120 campaign messages of one activity
 */
export function customDeliveries(
  messages: readonly OutboundMessage[],
  context: { applicationId: string | undefined; now: number },
): { deliveries: CustomDelivery[]; refused: Map<number, SendFailure> } {
  const refused = new Map<number, SendFailure>();
  const groups = new Map<string, { base: Omit<PinpointCustomEvent, 'Endpoints'>; indexes: number[] }>();
  messages.forEach((message, index) => {
    const { content } = message;
    const data =
      content.kind === 'custom' ? content.data : content.kind === 'text' ? content.text : undefined;
    if (data === undefined) {
      refused.set(index, {
        class: 'permanent',
        code: 'unsupported_content',
        message: `a custom channel carries custom data (or text), not ${content.kind}`,
      });
      return;
    }
    const campaign = message.campaign;
    const base = {
      Message: {},
      Data: data,
      ApplicationId: message.endpoint?.appId ?? context.applicationId ?? '',
      CampaignId: campaign?.campaignId ?? DIRECT_CAMPAIGN_ID,
      TreatmentId: campaign?.treatmentId ?? '0',
      ActivityId: campaign?.activityId ?? message.messageId,
      ScheduledTime: campaign?.scheduledTime ?? new Date(context.now).toISOString(),
    };
    const key = JSON.stringify([
      base.ApplicationId,
      base.CampaignId,
      base.TreatmentId,
      base.ActivityId,
      base.ScheduledTime,
      base.Data,
    ]);
    const group = groups.get(key);
    if (group) group.indexes.push(index);
    else groups.set(key, { base, indexes: [index] });
  });

  const deliveries: CustomDelivery[] = [];
  for (const { base, indexes } of groups.values()) {
    const open: { endpoints: Record<string, PinpointEndpoint>; indexes: number[]; ids: string[] }[] = [];
    for (const index of indexes) {
      const message = messages[index] as OutboundMessage;
      const endpointId = message.endpoint?.id ?? message.to;
      let batch = open.find(
        (b) => b.indexes.length < CUSTOM_BATCH_SIZE && !Object.hasOwn(b.endpoints, endpointId),
      );
      if (!batch) {
        // No prototype: an endpoint id is data, and one named `__proto__` must stay a key.
        batch = { endpoints: Object.create(null) as Record<string, PinpointEndpoint>, indexes: [], ids: [] };
        open.push(batch);
      }
      batch.endpoints[endpointId] = message.endpoint
        ? pinpointEndpoint(message.endpoint)
        : syntheticEndpoint(message.to, context.now);
      batch.indexes.push(index);
      // Without an endpoint the key is the address itself (the receiver needs it), which must not reach the ledger:
      // the provider id is then the ActivityId alone, one message's own.
      batch.ids.push(message.endpoint ? `${base.ActivityId}:${endpointId}` : base.ActivityId);
    }
    for (const batch of open) {
      deliveries.push({
        event: { ...base, Endpoints: batch.endpoints },
        indexes: batch.indexes,
        providerMessageIds: batch.ids,
      });
    }
  }
  return { deliveries, refused };
}

function syntheticEndpoint(address: string, now: number): PinpointEndpoint {
  const at = new Date(now).toISOString();
  return {
    ChannelType: 'CUSTOM',
    Address: address,
    EndpointStatus: 'ACTIVE',
    OptOut: 'NONE',
    Location: {},
    Demographic: {},
    EffectiveDate: at,
    Attributes: {},
    CreationDate: at,
    Metrics: {},
  };
}
