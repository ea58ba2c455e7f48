import {
  DescribeAccountAttributesCommand,
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type {
  ChannelAdapter,
  OutboundMessage,
  PreviewOutcome,
  SendOutcome,
  WebhookRequest,
  WebhookResult,
} from '../../ports/channel-adapter.js';
import type { AdapterDeps } from '../../ports/channel-provider.js';
import { awsClientConfig } from '../aws/aws-client-config.js';
import type { AwsCredentials } from '../aws/aws-credentials.js';
import { awsError } from '../aws/aws-failure.js';
import { SnsReceiver } from '../sns/sns-receiver.js';
import type { EumSmsOptions, EumSmsSender } from './config.js';
import { smsVoiceFailure } from './sms-voice-failure.js';
import { eumSmsWebhook, HERALD_CONTEXT_KEY } from './webhook.js';

/**
 * SMS through AWS End User Messaging SMS: `SendTextMessage` with the official SDK over Herald's undici pools (one
 * attempt; the delivery engine retries), Herald's message id in `Context` so every delivery event carries it, and
 * events from the configuration set's SNS destination.
 *
 * @example
 * const adapter = new EumSmsAdapter({ sender, credentials, options }, deps);
 * await adapter.send({ messageId: 'msg_1', to: '+14255550156', content: { kind: 'text', text: 'Hi' }, attempt: 1 });
 */
export class EumSmsAdapter implements ChannelAdapter {
  private readonly client: PinpointSMSVoiceV2Client;
  private readonly sns: SnsReceiver;

  constructor(
    private readonly config: {
      readonly sender: EumSmsSender;
      readonly credentials: AwsCredentials;
      readonly options: EumSmsOptions;
    },
    private readonly deps: AdapterDeps,
  ) {
    const { options, credentials } = config;
    this.client = new PinpointSMSVoiceV2Client(awsClientConfig(options, credentials, deps));
    this.sns = new SnsReceiver({
      http: deps.http,
      allowedHosts: deps.snsCertHosts,
      timeoutMs: options.timeoutMs,
      ...(options.snsTopicArn === undefined ? {} : { topicArn: options.snsTopicArn }),
    });
  }

  /** SendTextMessage's input. */
  preview(message: OutboundMessage): PreviewOutcome {
    const built = this.sendTextInput(message);
    return built.ok ? { ok: true, operation: 'SendTextMessage', payload: built.input } : built;
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const built = this.sendTextInput(message);
    if (!built.ok) return built;
    try {
      const output = await this.client.send(new SendTextMessageCommand(built.input));
      if (output.MessageId) return { ok: true, providerMessageId: output.MessageId };
      return {
        ok: false,
        failure: {
          class: 'permanent',
          code: 'malformed_response',
          message: 'AWS answered without a MessageId',
        },
      };
    } catch (error) {
      const failure = smsVoiceFailure(error);
      this.deps.logger.debug({ code: failure.code, class: failure.class }, 'eum-sms send failed');
      return { ok: false, failure };
    }
  }

  private sendTextInput(message: OutboundMessage) {
    if (message.content.kind !== 'text') {
      return {
        ok: false as const,
        failure: {
          class: 'permanent' as const,
          code: 'unsupported_content',
          message: `SMS carries text only, not ${message.content.kind}`,
        },
      };
    }
    const { options } = this.config;
    const input = {
      DestinationPhoneNumber: message.to,
      OriginationIdentity: this.config.sender.originationIdentity,
      MessageBody: message.content.text,
      Context: { [HERALD_CONTEXT_KEY]: message.messageId },
      ...(options.messageType === undefined ? {} : { MessageType: options.messageType }),
      ...(options.configurationSetName === undefined
        ? {}
        : { ConfigurationSetName: options.configurationSetName }),
      ...(options.timeToLiveSeconds === undefined ? {} : { TimeToLive: options.timeToLiveSeconds }),
      ...(options.maxPrice === undefined ? {} : { MaxPrice: options.maxPrice }),
    };
    return { ok: true as const, input };
  }

  async validateCredentials(): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await this.client.send(new DescribeAccountAttributesCommand({}));
      return { ok: true };
    } catch (error) {
      const split = awsError(error);
      return 'transport' in split
        ? { ok: false, reason: `AWS unreachable: ${split.transport.message}` }
        : { ok: false, reason: `${split.service.name}: ${split.service.message}` };
    }
  }

  handleWebhook(request: WebhookRequest): Promise<WebhookResult> {
    return eumSmsWebhook(request, {
      sns: this.sns,
      originationIdentity: this.config.sender.originationIdentity,
      now: () => this.deps.clock.now(),
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
