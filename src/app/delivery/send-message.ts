import { createHash } from 'node:crypto';
import type { Channel } from '../../domain/channel.js';
import type { ChannelType } from '../../domain/channel-type.js';
import type { Endpoint } from '../../domain/endpoint.js';
import { HeraldError } from '../../domain/errors.js';
import { isFreeForm, type MessageContent } from '../../domain/message-content.js';
import type { MessageStatus } from '../../domain/message-status.js';
import { consentLanguage, isWindowOpen } from '../../domain/whatsapp-window.js';
import type { Clock } from '../../ports/clock.js';
import type { ConversationStore } from '../../ports/conversation-store.js';
import type { DeliverySettingsStore } from '../../ports/delivery-settings-store.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { MessageLedger } from '../../ports/message-ledger.js';
import type { EnqueueItem, EnqueueResult, NewMessage, SendJobPayload } from '../../ports/send-queue.js';
import type { ChannelDirectory } from '../channels/channel-directory.js';
import { canonicalAddress } from './recipient-address.js';
import type { RecipientHasher } from './recipient-hasher.js';

export interface SendMessageDeps {
  readonly directory: ChannelDirectory;
  /** Enqueues one message with its job (coalesced with concurrent calls into one transaction). */
  readonly enqueue: (item: EnqueueItem) => Promise<EnqueueResult>;
  readonly conversations: ConversationStore;
  readonly settings: DeliverySettingsStore;
  readonly hasher: RecipientHasher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Default hold time for messages awaiting the window, seconds. */
  readonly holdSeconds: number;
  /** The recipient's locale when an endpoint with this address is known (for the consent template's language). */
  readonly findLocale?: (
    appId: string,
    channelType: ChannelType,
    address: string,
  ) => Promise<string | undefined>;
  /** Tells this process's sender runner that work arrived. */
  readonly wake: (senderKey: string) => void;
  /** The message an Idempotency-Key already created (see `MessageLedger.findByIdempotencyKey`). */
  readonly findIdempotent?: MessageLedger['findByIdempotencyKey'];
}

export interface SendRequest {
  readonly appId: string;
  readonly channelType: ChannelType;
  readonly to: string;
  readonly content: MessageContent;
  readonly channelId?: string;
  /** Language of the consent template when the recipient's own is not known. */
  readonly fallbackLanguage?: string;
  readonly idempotencyKey?: string;
  readonly source?: NewMessage['source'];
  readonly endpoint?: Endpoint;
  readonly campaign?: SendJobPayload['campaign'] & { readonly campaignId: string };
}

export interface SendResult {
  readonly messageId: string;
  readonly status: MessageStatus;
  /** False when an Idempotency-Key returned the first request's message. */
  readonly created: boolean;
}

/**
 * Accepts one outbound message: picks the channel, checks the address and content, and enqueues the message with
 * its job in one transaction. A free-form WhatsApp message to a user who has not written in 24 hours is held
 * (`awaiting_window`) and the app's consent template goes out once, in the user's language; the held message is
 * released when the user writes back, or expires after the hold time.
 *
 * @example
 * const { messageId, status } = await sendMessage(deps, { appId, channelType: 'WHATSAPP', to: '+16505551234', content: { kind: 'text', text: 'Hi' } });
 */
export async function sendMessage(deps: SendMessageDeps, request: SendRequest): Promise<SendResult> {
  // A repeated key answers with its first message before anything else is checked: the channel, the window or the
  // app's settings may have changed since, and the answer must not (a client retrying after a timeout).
  if (request.idempotencyKey !== undefined && deps.findIdempotent) {
    const first = await deps.findIdempotent(request.appId, request.idempotencyKey);
    if (first) {
      const to = canonicalAddress(request.channelType, request.to, 'to');
      return replayed(first, request, hashRequest(request, to));
    }
  }
  const channel = await deps.directory.resolve(request.appId, request.channelType, request.channelId);
  const provider = deps.directory.provider(channel.provider);
  if (provider.contentKinds && !provider.contentKinds.includes(request.content.kind)) {
    throw new HeraldError(
      'HERALD_CHANNEL_UNSUPPORTED_CONTENT',
      `channel ${channel.id} (${channel.provider}) cannot carry ${request.content.kind} messages; it carries ${provider.contentKinds.join(', ')}`,
      { field: request.content.kind },
    );
  }
  const problem = provider.contentProblem?.(request.content);
  if (problem !== undefined) {
    throw new HeraldError(
      'HERALD_CHANNEL_UNSUPPORTED_CONTENT',
      `channel ${channel.id} (${channel.provider}) cannot carry this message: ${problem}`,
      { field: request.content.kind },
    );
  }
  const to = canonicalAddress(channel.channelType, request.to, 'to');
  const recipientHash = deps.hasher(channel.channelType, to);
  const now = deps.clock.now();
  const requestHash = request.idempotencyKey === undefined ? undefined : hashRequest(request, to);

  const needsWindow =
    (provider.customerServiceWindow ?? channel.channelType === 'WHATSAPP') && isFreeForm(request.content);
  let held = false;
  let holdMs = deps.holdSeconds * 1000;
  let settings: Awaited<ReturnType<DeliverySettingsStore['get']>> | undefined;
  if (needsWindow) {
    const conversation = await deps.conversations.get(channel.senderKey, recipientHash);
    if (!isWindowOpen(conversation?.lastInboundAt, now)) {
      settings = await deps.settings.get(request.appId);
      if (!settings.consentTemplate) {
        throw new HeraldError(
          'HERALD_CONSENT_TEMPLATE_MISSING',
          'the recipient has not written in the last 24 hours, so WhatsApp only allows a template; send a template, or configure a consent template with PUT /v1/apps/{appId}/delivery-settings so Herald can hold this message and ask for consent',
          { field: 'to' },
        );
      }
      held = true;
      holdMs = (settings.holdSeconds ?? deps.holdSeconds) * 1000;
    }
  }

  const message = newMessage(deps, {
    request,
    channel,
    recipientHash,
    now,
    status: held ? 'awaiting_window' : 'queued',
    ...(held ? { holdUntil: now + holdMs } : {}),
    ...(requestHash ? { requestHash } : {}),
  });
  const result = await deps.enqueue({
    message,
    job: {
      payload: jobPayload(request, channel, to),
      runAt: now,
      state: held ? 'held' : 'ready',
    },
  });
  if (!result.created) return replayed(result, request, requestHash);

  if (held && settings?.consentTemplate) {
    await requestConsent(deps, {
      appId: request.appId,
      channel,
      to,
      recipientHash,
      holdMs,
      consent: settings.consentTemplate,
      ...(request.fallbackLanguage ? { fallbackLanguage: request.fallbackLanguage } : {}),
    });
  } else {
    deps.wake(channel.senderKey);
  }
  return { messageId: result.messageId, status: result.status, created: true };
}

/**
 * Sends the app's consent template to a user whose window is closed, once: the conversation records it, so
 * further held messages (and other processes) do not send it again until the hold time has passed.
 */
export async function requestConsent(
  deps: Pick<SendMessageDeps, 'enqueue' | 'conversations' | 'clock' | 'ids' | 'findLocale' | 'wake'>,
  input: {
    appId: string;
    channel: Channel;
    to: string;
    recipientHash: string;
    holdMs: number;
    consent: {
      name: string;
      languages: Readonly<Record<string, string>>;
      fallbackLanguage: string;
      parameters?: readonly string[];
    };
    fallbackLanguage?: string;
  },
): Promise<string | undefined> {
  const now = deps.clock.now();
  const messageId = deps.ids.next();
  const claimed = await deps.conversations.claimConsent({
    senderKey: input.channel.senderKey,
    recipientHash: input.recipientHash,
    appId: input.appId,
    messageId,
    at: now,
    resendAfterMs: input.holdMs,
  });
  if (!claimed) return undefined;
  const locale = await deps.findLocale?.(input.appId, input.channel.channelType, input.to);
  const language = consentLanguage(
    locale,
    input.consent.languages,
    input.fallbackLanguage ?? input.consent.fallbackLanguage,
  );
  const content: MessageContent = {
    kind: 'template',
    name: input.consent.name,
    language,
    ...(input.consent.parameters?.length
      ? { body: input.consent.parameters.map((text) => ({ type: 'text' as const, text })) }
      : {}),
  };
  const item: EnqueueItem = {
    message: {
      id: messageId,
      appId: input.appId,
      channelId: input.channel.id,
      channelType: input.channel.channelType,
      senderKey: input.channel.senderKey,
      recipientHash: input.recipientHash,
      source: 'consent',
      contentKind: 'template',
      templateName: input.consent.name,
      status: 'queued',
      createdAt: now,
    },
    job: {
      payload: { appId: input.appId, channelId: input.channel.id, to: input.to, content },
      runAt: now,
      state: 'ready',
    },
  };
  await deps.enqueue(item);
  deps.wake(input.channel.senderKey);
  return messageId;
}

function newMessage(
  deps: Pick<SendMessageDeps, 'ids'>,
  input: {
    request: SendRequest;
    channel: Channel;
    recipientHash: string;
    now: number;
    status: 'queued' | 'awaiting_window';
    holdUntil?: number;
    requestHash?: string;
  },
): NewMessage {
  const { request, channel } = input;
  return {
    id: deps.ids.next(),
    appId: request.appId,
    channelId: channel.id,
    channelType: channel.channelType,
    senderKey: channel.senderKey,
    recipientHash: input.recipientHash,
    source: request.source ?? 'api',
    contentKind: request.content.kind,
    status: input.status,
    createdAt: input.now,
    ...(request.content.kind === 'template' ? { templateName: request.content.name } : {}),
    ...(request.endpoint ? { endpointId: request.endpoint.id } : {}),
    ...(request.campaign
      ? {
          campaignId: request.campaign.campaignId,
          activityId: request.campaign.activityId,
          treatmentId: request.campaign.treatmentId,
        }
      : {}),
    ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
    ...(input.requestHash ? { requestHash: input.requestHash } : {}),
    ...(input.holdUntil !== undefined ? { holdUntil: input.holdUntil } : {}),
  };
}

function jobPayload(request: SendRequest, channel: Channel, to: string): SendJobPayload {
  return {
    appId: request.appId,
    channelId: channel.id,
    to,
    content: request.content,
    ...(request.endpoint ? { endpointId: request.endpoint.id } : {}),
    ...(request.campaign ? { campaign: request.campaign } : {}),
  };
}

/** The first message of a repeated key, or HERALD_IDEMPOTENCY_KEY_REUSED when the request differs from its first. */
function replayed(
  first: { messageId: string; status: MessageStatus; requestHash?: string | null },
  request: SendRequest,
  requestHash: string | undefined,
): SendResult {
  if (
    request.idempotencyKey !== undefined &&
    first.requestHash != null &&
    first.requestHash !== requestHash
  ) {
    throw new HeraldError(
      'HERALD_IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was used with a different request',
      {
        field: 'Idempotency-Key',
      },
    );
  }
  return { messageId: first.messageId, status: first.status, created: false };
}

function hashRequest(request: SendRequest, to: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        request.channelType,
        request.channelId ?? null,
        to,
        request.content,
        request.fallbackLanguage ?? null,
      ]),
    )
    .digest('hex');
}
