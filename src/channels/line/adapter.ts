import type {
  ChannelAdapter,
  OutboundMessage,
  PreviewOutcome,
  SendFailure,
  SendOutcome,
  WebhookRequest,
  WebhookResult,
} from '../../ports/channel-adapter.js';
import type { AdapterDeps } from '../../ports/channel-provider.js';
import { mapConcurrent } from '../http/map-concurrent.js';
import {
  headerValue,
  type ProviderResult,
  parseJsonBody,
  providerRequest,
} from '../http/provider-request.js';
import { withRetryAfter } from '../http/retry-after.js';
import type { LineCredentials, LineOptions, LineSender } from './config.js';
import { lineFailure, lineNetworkFailure, parseLineError } from './line-failure.js';
import { type LineMessageObject, lineMessageObjects } from './line-message-objects.js';
import { lineRetryKey } from './line-retry-key.js';
import { type UnsettledMulticast, UnsettledMulticasts } from './unsettled-multicasts.js';
import { handleLineWebhook } from './webhook.js';

/** LINE's multicast takes at most 500 user ids. */
export const MULTICAST_MAX = 500;
/** Provider calls in flight for one batch of personalised messages. */
const BATCH_CONCURRENCY = 16;
const INVALID_REPLY_TOKEN = /invalid reply token/i;

interface LineConfig {
  readonly sender: LineSender;
  readonly credentials: LineCredentials;
  readonly options: LineOptions;
}

type Call =
  | { readonly kind: 'single'; readonly index: number }
  | { readonly kind: 'multicast'; readonly indexes: number[]; readonly objects: LineMessageObject[] }
  | { readonly kind: 'repeat'; readonly indexes: number[]; readonly multicast: UnsettledMulticast };

type MulticastResult =
  | { readonly kind: 'sent'; readonly providerMessageIds: string[] }
  | { readonly kind: 'unsettled' | 'refused'; readonly failure: SendFailure };

/**
 * The LINE Messaging API for one channel: push (or reply, while a reply token is fresh), multicast for batches
 * of the same content, and webhooks checked with the channel secret. Every push and multicast carries an
 * `X-Line-Retry-Key` derived from Herald's message ids, so a retry after a timeout or a crash is answered 409
 * ("already accepted") instead of being sent again; a 409 counts as success. A multicast whose fate is unknown is
 * repeated as it was when any of its messages is retried, whatever batch the retry comes in (see
 * `UnsettledMulticasts`).
 *
 * LINE reports no per-message delivery or read status: nothing follows the outcome of the send.
 *
 * @example
 * const adapter = new LineAdapter({ sender, credentials, options }, deps);
 * await adapter.send({ messageId, to: 'U4af4980629...', content: { kind: 'text', text: 'Hi' }, attempt: 1 });
 */
export class LineAdapter implements ChannelAdapter {
  readonly maxBatchSize = MULTICAST_MAX;
  private readonly unsettled = new UnsettledMulticasts();

  constructor(
    private readonly config: LineConfig,
    private readonly deps: AdapterDeps,
  ) {}

  /** The push request's body (a campaign's batch of identical messages goes out as multicasts of the same objects). */
  preview(message: OutboundMessage): PreviewOutcome {
    const built = lineMessageObjects(message.content);
    if (!built.ok) return { ok: false, failure: built.failure };
    return {
      ok: true,
      operation: 'POST /v2/bot/message/push',
      payload: { to: message.to, messages: built.messages },
    };
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    if (this.unsettled.knows(message.messageId)) {
      const [outcome] = await this.sendBatch([message]);
      return outcome as SendOutcome;
    }
    const built = lineMessageObjects(message.content);
    if (!built.ok) return { ok: false, failure: built.failure };
    if (message.replyToken !== undefined) {
      const reply = await this.reply(message.replyToken, built.messages);
      if (reply !== 'invalid-token') return reply;
      // A reply has no retry key. On the first attempt the token cannot have been used for this message, so a
      // push is safe; on a later one an earlier attempt may have been delivered by it, and a push could repeat it.
      if (message.attempt > 1) {
        return {
          ok: false,
          failure: {
            class: 'permanent',
            code: 'reply_token_invalid',
            message:
              'LINE: Invalid reply token on a retried reply; not pushing, since an earlier attempt may have been delivered',
          },
        };
      }
    }
    return this.push(message, built.messages);
  }

  /**
   * Messages with the same content to different users go out as one multicast per 500 users; the others (a
   * reply, personalised content, a group or room) as pushes. One outcome per message, in order.
   */
  async sendBatch(messages: readonly OutboundMessage[]): Promise<SendOutcome[]> {
    const outcomes = new Array<SendOutcome>(messages.length);
    const calls: Call[] = [];
    const sameContent = new Map<string, { indexes: number[]; objects: LineMessageObject[] }>();
    const repeats = new Map<UnsettledMulticast, number[]>();
    messages.forEach((message, index) => {
      const confirmed = this.unsettled.takeConfirmed(message.messageId);
      if (confirmed !== undefined) {
        outcomes[index] = { ok: true, providerMessageId: confirmed };
        return;
      }
      const pending = this.unsettled.pendingFor(message.messageId);
      if (pending) {
        repeats.set(pending, [...(repeats.get(pending) ?? []), index]);
        return;
      }
      if (message.replyToken !== undefined || !message.to.startsWith('U')) {
        calls.push({ kind: 'single', index });
        return;
      }
      const built = lineMessageObjects(message.content);
      if (!built.ok) {
        outcomes[index] = { ok: false, failure: built.failure };
        return;
      }
      const key = JSON.stringify(built.messages);
      const group = sameContent.get(key);
      if (group) group.indexes.push(index);
      else sameContent.set(key, { indexes: [index], objects: built.messages });
    });
    for (const [multicast, indexes] of repeats) calls.push({ kind: 'repeat', indexes, multicast });
    for (const group of sameContent.values()) {
      for (const chunk of distinctRecipientChunks(group.indexes, (i) => messages[i]?.to ?? '')) {
        const [only] = chunk;
        if (chunk.length === 1 && only !== undefined) calls.push({ kind: 'single', index: only });
        else calls.push({ kind: 'multicast', indexes: chunk, objects: group.objects });
      }
    }

    await mapConcurrent(calls, BATCH_CONCURRENCY, async (call) => {
      if (call.kind === 'single') {
        const message = messages[call.index] as OutboundMessage;
        outcomes[call.index] = await this.send(message);
        return;
      }
      if (call.kind === 'repeat') {
        const { multicast } = call;
        const result = await this.multicast(multicast);
        if (result.kind === 'sent') this.unsettled.settle(multicast, result.providerMessageIds);
        if (result.kind === 'refused') this.unsettled.forget(multicast);
        for (const index of call.indexes) {
          const id = this.unsettled.takeConfirmed((messages[index] as OutboundMessage).messageId);
          outcomes[index] =
            id !== undefined
              ? { ok: true, providerMessageId: id }
              : { ok: false, failure: result.kind === 'sent' ? missingId() : result.failure };
        }
        return;
      }
      const chunk = call.indexes.map((i) => messages[i] as OutboundMessage);
      const multicast: UnsettledMulticast = {
        retryKey: lineRetryKey(chunk.map((m) => m.messageId)),
        recipients: chunk.map((m) => ({ messageId: m.messageId, to: m.to })),
        objects: call.objects,
      };
      const result = await this.multicast(multicast);
      if (result.kind === 'unsettled') this.unsettled.remember(multicast);
      call.indexes.forEach((messageIndex, i) => {
        outcomes[messageIndex] =
          result.kind === 'sent'
            ? { ok: true, providerMessageId: result.providerMessageIds[i] as string }
            : { ok: false, failure: result.failure };
      });
    });
    return outcomes;
  }

  async handleWebhook(request: WebhookRequest): Promise<WebhookResult> {
    const { result, ignored } = handleLineWebhook(
      request,
      this.config.credentials.channelSecret,
      this.deps.clock.now(),
    );
    if (ignored.length > 0) {
      this.deps.logger.debug({ ignored }, 'LINE webhook events Herald does not act on');
    }
    return result;
  }

  async lookupProfile(userAddress: string): Promise<{ displayName?: string } | undefined> {
    const result = await this.call('GET', `/v2/bot/profile/${encodeURIComponent(userAddress)}`);
    if (!result.ok) throw new Error(`LINE profile lookup failed: ${result.failure.message}`);
    const { status, text } = result.response;
    if (status === 404) return undefined;
    if (status !== 200) {
      throw new Error(`LINE profile lookup failed: ${status} ${parseLineError(text).message}`);
    }
    const body = parseJsonBody(text) as { displayName?: unknown } | undefined;
    return typeof body?.displayName === 'string' ? { displayName: body.displayName } : {};
  }

  async validateCredentials(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const result = await this.call('GET', '/v2/bot/info');
    if (!result.ok) return { ok: false, reason: `LINE could not be reached (${result.failure.message})` };
    if (result.response.status === 200) return { ok: true };
    return {
      ok: false,
      reason: `LINE answered ${result.response.status}: ${parseLineError(result.response.text).message}`,
    };
  }

  private async reply(
    replyToken: string,
    objects: readonly LineMessageObject[],
  ): Promise<SendOutcome | 'invalid-token'> {
    const result = await this.call('POST', '/v2/bot/message/reply', { replyToken, messages: objects });
    if (!result.ok) return { ok: false, failure: lineNetworkFailure(result.failure) };
    const { status, text, headers } = result.response;
    if (status === 200) {
      return { ok: true, providerMessageId: firstSentId(text) ?? requestId(headers) ?? replyToken };
    }
    const error = parseLineError(text);
    if (status === 400 && INVALID_REPLY_TOKEN.test(error.message)) return 'invalid-token';
    return { ok: false, failure: withRetryAfter(lineFailure(status, error), headers, this.deps.clock.now()) };
  }

  private async push(message: OutboundMessage, objects: readonly LineMessageObject[]): Promise<SendOutcome> {
    const retryKey = lineRetryKey([message.messageId]);
    const result = await this.call(
      'POST',
      '/v2/bot/message/push',
      { to: message.to, messages: objects },
      retryKey,
    );
    if (!result.ok) return { ok: false, failure: lineNetworkFailure(result.failure) };
    const { status, text, headers } = result.response;
    if (status === 200 || status === 409) {
      // 409: this retry key was accepted before; LINE repeats that request's sentMessages.
      const id = firstSentId(text) ?? acceptedRequestId(headers) ?? requestId(headers) ?? retryKey;
      return { ok: true, providerMessageId: id };
    }
    return {
      ok: false,
      failure: withRetryAfter(lineFailure(status, parseLineError(text)), headers, this.deps.clock.now()),
    };
  }

  private async multicast(multicast: UnsettledMulticast): Promise<MulticastResult> {
    const result = await this.call(
      'POST',
      '/v2/bot/message/multicast',
      { to: multicast.recipients.map((r) => r.to), messages: multicast.objects },
      multicast.retryKey,
    );
    if (!result.ok) return { kind: 'unsettled', failure: lineNetworkFailure(result.failure) };
    const { status, text, headers } = result.response;
    if (status === 200 || status === 409) {
      // Multicast returns no message ids: the accepted request's id plus the recipient identifies each one.
      const request =
        (status === 409 ? acceptedRequestId(headers) : undefined) ?? requestId(headers) ?? multicast.retryKey;
      return { kind: 'sent', providerMessageIds: multicast.recipients.map((r) => `${request}:${r.to}`) };
    }
    const failure = withRetryAfter(lineFailure(status, parseLineError(text)), headers, this.deps.clock.now());
    // A 5xx may come after LINE accepted the request; anything else means it did not.
    return { kind: status >= 500 ? 'unsettled' : 'refused', failure };
  }

  private call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    retryKey?: string,
  ): Promise<ProviderResult> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.config.credentials.channelAccessToken}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (retryKey !== undefined) headers['x-line-retry-key'] = retryKey;
    return providerRequest(this.deps.http, {
      method,
      baseUrl: this.config.options.baseUrl,
      path,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: this.config.options.timeoutMs,
    });
  }
}

/** Splits indexes into chunks of at most 500 with no recipient twice (a multicast to the same user twice sends once). */
function distinctRecipientChunks(
  indexes: readonly number[],
  recipient: (index: number) => string,
): number[][] {
  const chunks: { indexes: number[]; recipients: Set<string> }[] = [];
  for (const index of indexes) {
    const to = recipient(index);
    let chunk = chunks.find((c) => c.indexes.length < MULTICAST_MAX && !c.recipients.has(to));
    if (!chunk) {
      chunk = { indexes: [], recipients: new Set() };
      chunks.push(chunk);
    }
    chunk.indexes.push(index);
    chunk.recipients.add(to);
  }
  return chunks.map((c) => c.indexes);
}

function missingId(): SendFailure {
  return {
    class: 'retryable',
    code: 'missing_id',
    message: 'LINE: the repeated multicast did not include this message',
  };
}

function firstSentId(text: string): string | undefined {
  const body = parseJsonBody(text) as { sentMessages?: unknown } | undefined;
  const first: unknown = Array.isArray(body?.sentMessages) ? body.sentMessages[0] : undefined;
  const id = (first as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

function requestId(headers: Parameters<typeof headerValue>[0]): string | undefined {
  return headerValue(headers, 'x-line-request-id');
}

function acceptedRequestId(headers: Parameters<typeof headerValue>[0]): string | undefined {
  return headerValue(headers, 'x-line-accepted-request-id');
}
