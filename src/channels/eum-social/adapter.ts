import {
  GetLinkedWhatsAppBusinessAccountPhoneNumberCommand,
  SendWhatsAppMessageCommand,
  SocialMessagingClient,
} from '@aws-sdk/client-socialmessaging';
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
import { metaMessageBody } from '../meta/meta-message-body.js';
import { SnsReceiver } from '../sns/sns-receiver.js';
import type { EumSocialOptions, EumSocialSender } from './config.js';
import { socialMessagingFailure } from './social-messaging-failure.js';
import { eumSocialWebhook } from './webhook.js';

/**
 * WhatsApp through AWS End User Messaging Social: Meta's `/messages` body sent with `SendWhatsAppMessage` (the
 * official SDK over Herald's undici pools, one attempt: retries are the delivery engine's), events from the WABA's
 * SNS event destination.
 *
 * @example
 * const adapter = new EumSocialAdapter({ sender, credentials, options }, deps);
 * await adapter.send({ messageId: 'msg_1', to: '+16505551234', content: { kind: 'text', text: 'Hi' }, attempt: 1 });
 */
export class EumSocialAdapter implements ChannelAdapter {
  private readonly client: SocialMessagingClient;
  private readonly sns: SnsReceiver;

  constructor(
    private readonly config: {
      readonly sender: EumSocialSender;
      readonly credentials: AwsCredentials;
      readonly options: EumSocialOptions;
    },
    private readonly deps: AdapterDeps,
  ) {
    const { options, credentials } = config;
    this.client = new SocialMessagingClient(awsClientConfig(options, credentials, deps));
    this.sns = new SnsReceiver({
      http: deps.http,
      allowedHosts: deps.snsCertHosts,
      timeoutMs: options.timeoutMs,
      ...(options.snsTopicArn === undefined ? {} : { topicArn: options.snsTopicArn }),
    });
  }

  /** SendWhatsAppMessage's input, with the `message` blob shown as the Meta body it carries. */
  preview(message: OutboundMessage): PreviewOutcome {
    const built = metaMessageBody(message.to, message.content, message.messageId);
    if (!built.ok)
      return {
        ok: false,
        failure: { class: 'permanent', code: 'unsupported_content', message: built.reason },
      };
    return {
      ok: true,
      operation: 'SendWhatsAppMessage',
      payload: {
        originationPhoneNumberId: this.config.sender.originationPhoneNumberId,
        message: built.body,
        metaApiVersion: this.config.options.metaApiVersion,
      },
    };
  }

  async send(message: OutboundMessage): Promise<SendOutcome> {
    const built = metaMessageBody(message.to, message.content, message.messageId);
    if (!built.ok)
      return {
        ok: false,
        failure: { class: 'permanent', code: 'unsupported_content', message: built.reason },
      };
    try {
      const output = await this.client.send(
        new SendWhatsAppMessageCommand({
          originationPhoneNumberId: this.config.sender.originationPhoneNumberId,
          message: Buffer.from(JSON.stringify(built.body), 'utf8'),
          metaApiVersion: this.config.options.metaApiVersion,
        }),
      );
      if (output.messageId) return { ok: true, providerMessageId: output.messageId };
      return {
        ok: false,
        failure: {
          class: 'permanent',
          code: 'malformed_response',
          message: 'AWS answered without a messageId',
        },
      };
    } catch (error) {
      const failure = socialMessagingFailure(error, message.attempt);
      this.deps.logger.debug({ code: failure.code, class: failure.class }, 'eum-social send failed');
      return { ok: false, failure };
    }
  }

  async markRead(inboundProviderMessageId: string, options: { typing?: boolean } = {}): Promise<void> {
    const body = {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: inboundProviderMessageId,
      ...(options.typing ? { typing_indicator: { type: 'text' } } : {}),
    };
    try {
      await this.client.send(
        new SendWhatsAppMessageCommand({
          originationPhoneNumberId: this.config.sender.originationPhoneNumberId,
          message: Buffer.from(JSON.stringify(body), 'utf8'),
          metaApiVersion: this.config.options.metaApiVersion,
        }),
      );
    } catch (error) {
      const failure = socialMessagingFailure(error, 1);
      throw new Error(`WhatsApp mark-as-read through AWS failed: ${failure.code} ${failure.message}`);
    }
  }

  async validateCredentials(): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await this.client.send(
        new GetLinkedWhatsAppBusinessAccountPhoneNumberCommand({
          id: this.config.sender.originationPhoneNumberId,
        }),
      );
      return { ok: true };
    } catch (error) {
      const split = awsError(error);
      return 'transport' in split
        ? { ok: false, reason: `AWS unreachable: ${split.transport.message}` }
        : { ok: false, reason: `${split.service.name}: ${split.service.message}` };
    }
  }

  handleWebhook(request: WebhookRequest): Promise<WebhookResult> {
    return eumSocialWebhook(request, {
      sns: this.sns,
      now: () => this.deps.clock.now(),
      ...(this.config.sender.metaPhoneNumberId === undefined
        ? {}
        : { metaPhoneNumberId: this.config.sender.metaPhoneNumberId }),
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
