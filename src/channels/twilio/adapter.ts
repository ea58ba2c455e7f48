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
import { type ProviderResult, parseJsonBody, providerRequest } from '../http/provider-request.js';
import { withRetryAfter } from '../http/retry-after.js';
import type { TwilioCredentials, TwilioOptions, TwilioSender } from './config.js';
import { parseTwilioError, twilioFailure, twilioNetworkFailure } from './twilio-failure.js';
import { handleTwilioWebhook, MESSAGE_ID_PARAM } from './webhook.js';

interface TwilioConfig {
  readonly sender: TwilioSender;
  readonly credentials: TwilioCredentials;
  readonly options: TwilioOptions;
}

/**
 * Twilio Programmable Messaging for one sender: `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded with
 * Basic auth, each message asking for status callbacks at the channel's webhook URL with Herald's message id in
 * its query, so a status finds its message even before the send's answer was recorded. The same webhook takes the
 * number's incoming messages. Twilio has no idempotency key: a send that timed out may have been queued.
 *
 * @example
 * await adapter.send({ messageId, to: '+14155550123', content: { kind: 'text', text: 'Your code is 123456' }, attempt: 1 });
 */
export class TwilioAdapter implements ChannelAdapter {
  constructor(
    private readonly config: TwilioConfig,
    private readonly deps: AdapterDeps,
  ) {}

  /** The form Messages.json receives, as name -> value. */
  preview(message: OutboundMessage): PreviewOutcome {
    const form = this.form(message);
    if (!(form instanceof URLSearchParams)) return { ok: false, failure: form };
    return {
      ok: true,
      operation: `POST /2010-04-01/Accounts/${this.config.credentials.accountSid}/Messages.json`,
      payload: Object.fromEntries(form),
    };
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const form = this.form(message);
    if (!(form instanceof URLSearchParams)) return { ok: false, failure: form };

    const result = await this.call(
      'POST',
      `/2010-04-01/Accounts/${this.config.credentials.accountSid}/Messages.json`,
      form.toString(),
    );
    if (!result.ok) return { ok: false, failure: twilioNetworkFailure(result.failure) };
    const { status, text, headers } = result.response;
    if (status === 200 || status === 201) {
      const sid = (parseJsonBody(text) as { sid?: unknown } | undefined)?.sid;
      if (typeof sid === 'string') return { ok: true, providerMessageId: sid };
      return {
        ok: false,
        failure: {
          class: 'retryable',
          code: `http_${status}`,
          message: 'Twilio answered without a message sid',
        },
      };
    }
    return {
      ok: false,
      failure: withRetryAfter(twilioFailure(status, parseTwilioError(text)), headers, this.deps.clock.now()),
    };
  }

  async handleWebhook(request: WebhookRequest): Promise<WebhookResult> {
    return handleTwilioWebhook(request, this.config.credentials.authToken, this.deps.clock.now());
  }

  async validateCredentials(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const result = await this.call('GET', `/2010-04-01/Accounts/${this.config.credentials.accountSid}.json`);
    if (!result.ok) return { ok: false, reason: `Twilio could not be reached (${result.failure.message})` };
    if (result.response.status === 200) return { ok: true };
    const error = parseTwilioError(result.response.text);
    return {
      ok: false,
      reason: `Twilio answered ${result.response.status}${error.code ? ` (${error.code})` : ''}: ${error.message}`,
    };
  }

  private form(message: OutboundMessage): URLSearchParams | SendFailure {
    const form = new URLSearchParams();
    form.set('To', message.to);
    const { from, messagingServiceSid } = this.config.sender;
    if (messagingServiceSid !== undefined) form.set('MessagingServiceSid', messagingServiceSid);
    else if (from !== undefined) form.set('From', from);
    const { content } = message;
    if (content.kind === 'text') {
      form.set('Body', content.text);
    } else if (content.kind === 'media' && content.url !== undefined) {
      form.set('MediaUrl', content.url);
      if (content.caption) form.set('Body', content.caption);
    } else {
      return {
        class: 'permanent',
        code: 'unsupported_content',
        message:
          content.kind === 'media'
            ? 'Twilio takes media by URL only; provider media ids cannot be sent'
            : `Twilio SMS cannot send ${content.kind} messages`,
      };
    }
    const callback = new URL(this.deps.webhookUrl);
    callback.searchParams.set(MESSAGE_ID_PARAM, message.messageId);
    form.set('StatusCallback', callback.toString());
    return form;
  }

  private call(method: 'GET' | 'POST', path: string, form?: string): Promise<ProviderResult> {
    const { accountSid, authToken, apiKeySid, apiKeySecret } = this.config.credentials;
    const user = apiKeySid ?? accountSid;
    const password = apiKeySecret ?? authToken;
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      accept: 'application/json',
    };
    if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    return providerRequest(this.deps.http, {
      method,
      baseUrl: this.config.options.baseUrl,
      path,
      headers,
      ...(form === undefined ? {} : { body: form }),
      timeoutMs: this.config.options.timeoutMs,
    });
  }
}
