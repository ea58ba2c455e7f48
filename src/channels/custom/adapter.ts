import type {
  ChannelAdapter,
  OutboundMessage,
  PreviewOutcome,
  SendFailure,
  SendOutcome,
  WebhookResult,
} from '../../ports/channel-adapter.js';
import type { AdapterDeps } from '../../ports/channel-provider.js';
import { providerRequest } from '../http/provider-request.js';
import { withRetryAfter } from '../http/retry-after.js';
import { checkDeliveryUri } from './check-delivery-uri.js';
import type { CustomCredentials, CustomOptions, CustomSender } from './config.js';
import { CUSTOM_BATCH_SIZE, customDeliveries, type PinpointCustomEvent } from './custom-deliveries.js';
import { invokeCustomFunction, loadCustomFunction } from './custom-function.js';
import { handleCustomWebhook } from './webhook.js';

interface CustomConfig {
  readonly sender: CustomSender;
  readonly credentials: CustomCredentials;
  readonly options: CustomOptions;
}

/**
 * A Pinpoint-style custom channel: each batch of up to 50 endpoints of one campaign activity goes to the receiver
 * as Pinpoint's event, by HTTP POST to `deliveryUri` or by calling a registered local function, so code written
 * for Pinpoint's custom channels keeps working. A delivery succeeds or fails as a whole; each message's provider
 * id is `ActivityId:endpointId`. No statuses come back.
 *
 * @example
 * await adapter.sendBatch(campaignMessages); // 120 endpoints -> three deliveries of 50, 50 and 20
 */
export class CustomChannelAdapter implements ChannelAdapter {
  readonly maxBatchSize = CUSTOM_BATCH_SIZE;

  constructor(
    private readonly config: CustomConfig,
    private readonly deps: AdapterDeps,
  ) {}

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const [outcome] = await this.sendBatch([message]);
    return outcome as SendOutcome;
  }

  /** Pinpoint's event for this one endpoint, as the receiver (HTTP or function) gets it. */
  preview(message: OutboundMessage): PreviewOutcome {
    const { deliveries, refused } = customDeliveries([message], {
      applicationId: this.deps.appId,
      now: this.deps.clock.now(),
    });
    const failure = refused.get(0);
    if (failure) return { ok: false, failure };
    const { deliveryUri, functionName } = this.config.options;
    return {
      ok: true,
      operation: deliveryUri === undefined ? `invoke ${functionName}` : `POST ${deliveryUri}`,
      payload: deliveries[0]?.event,
    };
  }

  async sendBatch(messages: readonly OutboundMessage[]): Promise<SendOutcome[]> {
    const outcomes = new Array<SendOutcome>(messages.length);
    const { deliveries, refused } = customDeliveries(messages, {
      applicationId: this.deps.appId,
      now: this.deps.clock.now(),
    });
    for (const [index, failure] of refused) outcomes[index] = { ok: false, failure };
    // One delivery at a time, in order: a receiver written for Pinpoint expects invocations, not a burst.
    for (const delivery of deliveries) {
      const failure = await this.deliver(delivery.event);
      delivery.indexes.forEach((index, i) => {
        outcomes[index] = failure
          ? { ok: false, failure }
          : { ok: true, providerMessageId: delivery.providerMessageIds[i] as string };
      });
    }
    return outcomes;
  }

  async handleWebhook(): Promise<WebhookResult> {
    return handleCustomWebhook();
  }

  /** deliveryUri: Pinpoint's HEAD check; functionName: the function is registered and loads with a handler. */
  async validateCredentials(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { deliveryUri, functionName, timeoutMs } = this.config.options;
    if (deliveryUri !== undefined) {
      const verdict = await checkDeliveryUri(this.deps.http, deliveryUri, {
        timeoutMs: Math.min(timeoutMs, 10_000),
        ...(this.config.credentials.headers ? { headers: this.config.credentials.headers } : {}),
      });
      return verdict.ok ? { ok: true } : verdict;
    }
    const modulePath = functionName === undefined ? undefined : this.deps.customFunctions[functionName];
    if (modulePath === undefined) return { ok: false, reason: this.unregistered() };
    try {
      await loadCustomFunction(modulePath);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `custom function ${functionName}: ${(error as Error).message}` };
    }
  }

  /** Undefined when the receiver took the batch. */
  private async deliver(event: PinpointCustomEvent): Promise<SendFailure | undefined> {
    const { deliveryUri, functionName, timeoutMs } = this.config.options;
    if (functionName !== undefined) {
      const modulePath = this.deps.customFunctions[functionName];
      if (modulePath === undefined) {
        return { class: 'permanent', code: 'function_not_registered', message: this.unregistered() };
      }
      const result = await invokeCustomFunction(modulePath, event, { functionName, timeoutMs });
      if (result.ok) return undefined;
      if (result.kind === 'unavailable') {
        return { class: 'permanent', code: 'function_unavailable', message: result.message };
      }
      return {
        class: 'retryable',
        code: result.kind === 'timeout' ? 'function_timeout' : 'function_error',
        message: `custom function ${functionName}: ${result.message}`,
      };
    }
    const url = new URL(deliveryUri as string);
    const result = await providerRequest(this.deps.http, {
      method: 'POST',
      baseUrl: url.origin,
      path: `${url.pathname}${url.search}`,
      headers: { ...this.config.credentials.headers, 'content-type': 'application/json' },
      body: JSON.stringify(event),
      timeoutMs,
    });
    if (!result.ok) {
      const refused = result.failure.kind === 'refused';
      return {
        class: refused ? 'permanent' : 'retryable',
        code: refused ? 'HERALD_DESTINATION_REFUSED' : result.failure.kind,
        message: `receiver: ${result.failure.message}`,
      };
    }
    const { status, text, headers } = result.response;
    if (status >= 200 && status < 300) return undefined;
    const code = `http_${status}`;
    const message = `receiver answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (status === 429) {
      return withRetryAfter(
        { class: 'throttled', code, message, scope: 'sender' },
        headers,
        this.deps.clock.now(),
      );
    }
    if (status >= 500) return { class: 'retryable', code, message };
    return { class: 'permanent', code, message };
  }

  private unregistered(): string {
    return `custom function ${this.config.options.functionName} is not registered in herald.config.json customFunctions`;
  }
}
