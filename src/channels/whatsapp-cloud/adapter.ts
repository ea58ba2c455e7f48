import { createSecretKey } from 'node:crypto';
import { HeraldError } from '../../domain/errors.js';
import type { ProviderTemplate } from '../../domain/provider-template.js';
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
import { withDeadline } from '../http/with-deadline.js';
import { metaFailure, parseMetaError } from '../meta/meta-failure.js';
import { metaMessageBody } from '../meta/meta-message-body.js';
import type { WhatsAppCloudCredentials, WhatsAppCloudOptions, WhatsAppCloudSender } from './config.js';
import { type WhatsAppWebhookSettings, whatsAppWebhook } from './webhook.js';

type GraphResponse =
  | { readonly kind: 'response'; readonly status: number; readonly text: string }
  | { readonly kind: 'network'; readonly failure: SendFailure };

/** Graph answers at most this many templates per page. */
const TEMPLATE_PAGE_SIZE = 100;
/** A runaway `paging.next` loop stops here (100 pages of 100 is far beyond any real WABA). */
const MAX_TEMPLATE_PAGES = 100;

/**
 * WhatsApp through Meta's Cloud API: `POST /{version}/{phone-number-id}/messages` over a keep-alive undici pool,
 * each request bounded by `options.timeoutMs`. Failures are classified on Meta's `error.code`.
 *
 * @example
 * const adapter = new WhatsAppCloudAdapter({ sender, credentials, options }, deps);
 * await adapter.send({ messageId: 'msg_1', to: '+16505551234', content: { kind: 'text', text: 'Hi' }, attempt: 1 });
 */
export class WhatsAppCloudAdapter implements ChannelAdapter {
  private readonly origin: string;
  private readonly pathPrefix: string;
  /** Built once: every webhook request (thousands a second under load) uses the same. */
  private readonly webhookSettings: WhatsAppWebhookSettings;

  constructor(
    private readonly config: {
      readonly sender: WhatsAppCloudSender;
      readonly credentials: WhatsAppCloudCredentials;
      readonly options: WhatsAppCloudOptions;
    },
    private readonly deps: AdapterDeps,
  ) {
    const base = new URL(config.options.baseUrl);
    this.origin = base.origin;
    // A base URL may carry a path (the sandbox mounted at /sandbox/whatsapp): keep it in front of every call.
    this.pathPrefix = base.pathname.replace(/\/+$/, '');
    const { clock } = deps;
    this.webhookSettings = {
      appSecret: createSecretKey(Buffer.from(config.credentials.appSecret, 'utf8')),
      verifyToken: config.credentials.verifyToken,
      phoneNumberId: config.sender.phoneNumberId,
      now: () => clock.now(),
    };
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const built = metaMessageBody(message.to, message.content, message.messageId);
    if (!built.ok)
      return {
        ok: false,
        failure: { class: 'permanent', code: 'unsupported_content', message: built.reason },
      };
    const response = await this.call('POST', this.messagesPath(), built.body);
    if (response.kind === 'network') return { ok: false, failure: response.failure };
    if (response.status >= 200 && response.status < 300) {
      const id = acceptedMessageId(response.text);
      if (id) return { ok: true, providerMessageId: id };
      // Accepted without an id: retrying could send it twice, so this is not retryable.
      return {
        ok: false,
        failure: {
          class: 'permanent',
          code: 'malformed_response',
          message: 'Meta answered 2xx without messages[0].id',
        },
      };
    }
    const failure = metaFailure(parseMetaError(response.text), response.status, message.attempt);
    this.deps.logger.debug({ code: failure.code, class: failure.class }, 'whatsapp send failed');
    return { ok: false, failure };
  }

  preview(message: OutboundMessage): PreviewOutcome {
    const built = metaMessageBody(message.to, message.content, message.messageId);
    if (!built.ok)
      return {
        ok: false,
        failure: { class: 'permanent', code: 'unsupported_content', message: built.reason },
      };
    return { ok: true, operation: `POST ${this.messagesPath()}`, payload: built.body };
  }

  async markRead(inboundProviderMessageId: string, options: { typing?: boolean } = {}): Promise<void> {
    const response = await this.call('POST', this.messagesPath(), {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: inboundProviderMessageId,
      ...(options.typing ? { typing_indicator: { type: 'text' } } : {}),
    });
    if (response.kind === 'network')
      throw new Error(`WhatsApp mark-as-read failed: ${response.failure.code} ${response.failure.message}`);
    if (response.status < 200 || response.status >= 300) {
      const failure = metaFailure(parseMetaError(response.text), response.status);
      throw new Error(`WhatsApp mark-as-read failed: ${failure.code} ${failure.message}`);
    }
  }

  async validateCredentials(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { apiVersion } = this.config.options;
    const response = await this.call(
      'GET',
      `/${apiVersion}/${this.config.sender.phoneNumberId}?fields=id,display_phone_number`,
    );
    if (response.kind === 'network')
      return { ok: false, reason: `Graph API unreachable: ${response.failure.message}` };
    if (response.status >= 200 && response.status < 300) return { ok: true };
    const error = parseMetaError(response.text);
    return { ok: false, reason: `${error.code ?? `HTTP ${response.status}`}: ${error.message}` };
  }

  async listTemplates(): Promise<ProviderTemplate[]> {
    const { wabaId } = this.config.sender;
    if (wabaId === undefined) {
      throw new HeraldError('HERALD_VALIDATION_FAILED', 'listing templates needs sender.wabaId', {
        field: 'sender.wabaId',
      });
    }
    const templates: ProviderTemplate[] = [];
    const fields = 'name,language,category,status,parameter_format,components';
    let after: string | undefined;
    for (let page = 0; page < MAX_TEMPLATE_PAGES; page++) {
      const query = new URLSearchParams({ fields, limit: String(TEMPLATE_PAGE_SIZE) });
      if (after !== undefined) query.set('after', after);
      const response = await this.call(
        'GET',
        `/${this.config.options.apiVersion}/${wabaId}/message_templates?${query}`,
      );
      if (response.kind === 'network')
        throw new Error(`listing WhatsApp templates failed: ${response.failure.message}`);
      if (response.status < 200 || response.status >= 300) {
        const error = parseMetaError(response.text);
        throw new Error(
          `listing WhatsApp templates failed: ${error.code ?? response.status} ${error.message}`,
        );
      }
      const body = JSON.parse(response.text) as TemplatePage;
      for (const item of body.data ?? []) {
        const template = toProviderTemplate(item);
        if (template) templates.push(template);
      }
      after = body.paging?.cursors?.after;
      if (!body.paging?.next || after === undefined) return templates;
    }
    return templates;
  }

  handleWebhook(request: WebhookRequest): Promise<WebhookResult> {
    return Promise.resolve(whatsAppWebhook(request, this.webhookSettings));
  }

  private messagesPath(): string {
    return `/${this.config.options.apiVersion}/${this.config.sender.phoneNumberId}/messages`;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<GraphResponse> {
    const { timeoutMs } = this.config.options;
    try {
      return await withDeadline(timeoutMs, async (signal): Promise<GraphResponse> => {
        const response = await this.deps.http.pool(this.origin).request({
          method,
          path: `${this.pathPrefix}${path}`,
          headers: {
            authorization: `Bearer ${this.config.credentials.accessToken}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal,
        });
        return { kind: 'response', status: response.statusCode, text: await response.body.text() };
      });
    } catch (error) {
      return { kind: 'network', failure: networkFailure(error) };
    }
  }
}

interface TemplatePage {
  readonly data?: readonly Record<string, unknown>[];
  readonly paging?: { readonly cursors?: { readonly after?: string }; readonly next?: string };
}

function toProviderTemplate(item: Record<string, unknown>): ProviderTemplate | undefined {
  const { name, language, category, status, parameter_format: format, components } = item;
  if (typeof name !== 'string' || typeof language !== 'string') return undefined;
  return {
    name,
    language,
    category: typeof category === 'string' ? category : 'UNKNOWN',
    status: typeof status === 'string' ? status : 'UNKNOWN',
    parameterFormat: format === 'NAMED' ? 'NAMED' : 'POSITIONAL',
    components: Array.isArray(components)
      ? components.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null)
      : [],
  };
}

function acceptedMessageId(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { messages?: { id?: unknown }[] };
    const id = body.messages?.[0]?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * No answer at all: a timeout or a broken connection. Both may hide an accepted message, and both are retried; a
 * destination Herald refuses to connect to (HERALD_OUTBOUND_DESTINATIONS) is final.
 */
function networkFailure(error: unknown): SendFailure {
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  const timedOut =
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT';
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
  if (code === 'HERALD_DESTINATION_REFUSED') {
    const message = error instanceof Error ? error.message : String(error);
    return { class: 'permanent', code: 'HERALD_DESTINATION_REFUSED', message };
  }
  return timedOut
    ? { class: 'retryable', code: 'timeout', message: `no answer in time (${detail})` }
    : { class: 'retryable', code: 'connection_error', message: `connection failed (${detail})` };
}
