import { randomUUID, sign } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../sandbox-provider.js';
import { SANDBOX_SNS_SIGNING_CERT_PEM, SANDBOX_SNS_SIGNING_KEY_PEM } from './sandbox-sns-key-material.js';

interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly endpoint: string;
  readonly token: string;
  confirmed: boolean;
  lastConfirmationAt: number;
  /** Held while the subscription waits for confirmation, as SNS delivers nothing before it. */
  readonly held: { message: string; subject: string | undefined; afterMs: number }[];
}

/** SNS lets a subscription wait for confirmation; the sandbox asks again if it is still pending after this. */
const RECONFIRM_AFTER_MS = 2_000;
const MAX_HELD = 1_000;
const CERT_FILE = 'SimpleNotificationService-sandbox.pem';

/**
 * The SNS side of the AWS sandboxes: HTTP(S) subscriptions that start with a signed `SubscriptionConfirmation`
 * (its `SubscribeURL` is served here), then signed `Notification`s through the shared webhook emitter (so the
 * sandbox's delays, duplicates and retries apply). Messages are signed with the sandbox's RSA key (SignatureVersion
 * 1 = SHA1withRSA, 2 = SHA256withRSA) and the certificate is served at `SigningCertURL`.
 *
 * @example
 * const sns = new SnsPublisher('eum-sms', ctx);
 * sns.routes(app); // the certificate and ConfirmSubscription
 * sns.subscribe({ topicArn, endpoint: webhookUrl });
 * sns.publish(topicArn, JSON.stringify(event));
 */
export class SnsPublisher {
  private readonly subscriptions = new Map<string, Subscription>();
  signatureVersion: '1' | '2' = '1';

  constructor(
    private readonly provider: string,
    private readonly ctx: SandboxContext,
  ) {}

  /**
   * The certificate and the `SubscribeURL`/`UnsubscribeURL` endpoints, under `/<provider>/_sns`, and control routes
   * to subscribe an endpoint (again: a pending subscription gets a fresh confirmation) and list subscriptions.
   */
  routes(app: FastifyInstance): void {
    app.get('/_control/subscriptions', async () => ({ items: this.list() }));
    app.post('/_control/subscriptions', async (request, reply) => {
      let input: { topicArn?: unknown; endpoint?: unknown } = {};
      try {
        input = JSON.parse((request.body as Buffer | undefined)?.toString('utf8') || '{}') as typeof input;
      } catch {
        return reply.code(400).send({ error: { message: 'the body is not JSON' } });
      }
      if (
        typeof input.topicArn !== 'string' ||
        typeof input.endpoint !== 'string' ||
        !URL.canParse(input.endpoint)
      )
        return reply.code(400).send({ error: { message: 'need topicArn and an endpoint URL' } });
      const subscriptionArn = this.subscribe({ topicArn: input.topicArn, endpoint: input.endpoint });
      return this.list().find((s) => s.subscriptionArn === subscriptionArn);
    });
    app.get(`/_sns/${CERT_FILE}`, async (_request, reply) =>
      reply.type('application/x-pem-file').send(SANDBOX_SNS_SIGNING_CERT_PEM),
    );
    app.get('/_sns/', async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      if (query.Action === 'ConfirmSubscription') {
        const subscription = [...this.subscriptions.values()].find(
          (s) => s.topicArn === query.TopicArn && s.token === query.Token,
        );
        if (!subscription)
          return reply.code(404).type('text/xml').send(snsError('NotFound', 'Subscription not found'));
        this.confirm(subscription);
        return reply
          .type('text/xml')
          .send(
            `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${subscription.arn}</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`,
          );
      }
      if (query.Action === 'Unsubscribe' && query.SubscriptionArn) {
        this.subscriptions.delete(query.SubscriptionArn);
        return reply
          .type('text/xml')
          .send('<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"/>');
      }
      return reply.code(400).type('text/xml').send(snsError('InvalidAction', 'unknown action'));
    });
  }

  /** Subscribes an HTTP endpoint; SNS sends the `SubscriptionConfirmation` at once. Returns the subscription ARN. */
  subscribe(input: { topicArn: string; endpoint: string }): string {
    for (const existing of this.subscriptions.values()) {
      if (existing.topicArn === input.topicArn && existing.endpoint === input.endpoint) {
        if (!existing.confirmed) this.sendConfirmation(existing);
        return existing.arn;
      }
    }
    const subscription: Subscription = {
      arn: `${input.topicArn}:${randomUUID()}`,
      topicArn: input.topicArn,
      endpoint: input.endpoint,
      token: randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', ''),
      confirmed: false,
      lastConfirmationAt: 0,
      held: [],
    };
    this.subscriptions.set(subscription.arn, subscription);
    this.sendConfirmation(subscription);
    return subscription.arn;
  }

  /** Every subscription and whether its endpoint has confirmed it yet. */
  list(): {
    subscriptionArn: string;
    topicArn: string;
    endpoint: string;
    confirmed: boolean;
    held: number;
  }[] {
    return [...this.subscriptions.values()].map((s) => ({
      subscriptionArn: s.arn,
      topicArn: s.topicArn,
      endpoint: s.endpoint,
      confirmed: s.confirmed,
      held: s.held.length,
    }));
  }

  /**
   * Publishes to every subscription of the topic; pending ones keep the message until they are confirmed. `afterMs`
   * delays the delivery (status sequences use it).
   */
  publish(topicArn: string, message: string, options: { subject?: string; afterMs?: number } = {}): void {
    const { subject, afterMs = 0 } = options;
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topicArn !== topicArn) continue;
      if (subscription.confirmed) {
        this.deliver(subscription, message, subject, afterMs);
        continue;
      }
      if (subscription.held.length < MAX_HELD) subscription.held.push({ message, subject, afterMs });
      if (this.ctx.clock.now() - subscription.lastConfirmationAt > RECONFIRM_AFTER_MS)
        this.sendConfirmation(subscription);
    }
  }

  /** The URL the certificate is served at, as it appears in `SigningCertURL`. */
  certificateUrl(): string {
    return `${this.ctx.publicUrl()}/${this.provider}/_sns/${CERT_FILE}`;
  }

  private confirm(subscription: Subscription): void {
    if (subscription.confirmed) return;
    subscription.confirmed = true;
    for (const held of subscription.held.splice(0))
      this.deliver(subscription, held.message, held.subject, held.afterMs);
  }

  private sendConfirmation(subscription: Subscription): void {
    subscription.lastConfirmationAt = this.ctx.clock.now();
    const subscribeUrl = `${this.ctx.publicUrl()}/${this.provider}/_sns/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(subscription.topicArn)}&Token=${subscription.token}`;
    const fields = {
      Type: 'SubscriptionConfirmation',
      MessageId: randomUUID(),
      Token: subscription.token,
      TopicArn: subscription.topicArn,
      Message: `You have chosen to subscribe to the topic ${subscription.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: subscribeUrl,
      Timestamp: new Date(this.ctx.clock.now()).toISOString(),
    };
    this.ctx.webhooks.emit(
      {
        url: subscription.endpoint,
        headers: this.headers('SubscriptionConfirmation', fields.MessageId, subscription.topicArn),
        body: JSON.stringify(
          this.signed(fields, [
            'Message',
            'MessageId',
            'SubscribeURL',
            'Timestamp',
            'Token',
            'TopicArn',
            'Type',
          ]),
        ),
      },
      { allowDuplicate: false },
    );
  }

  private deliver(
    subscription: Subscription,
    message: string,
    subject: string | undefined,
    afterMs: number,
  ): void {
    const fields = {
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: subscription.topicArn,
      ...(subject === undefined ? {} : { Subject: subject }),
      Message: message,
      Timestamp: new Date(this.ctx.clock.now()).toISOString(),
    };
    const body = {
      ...this.signed(fields, [
        'Message',
        'MessageId',
        ...(subject === undefined ? [] : ['Subject']),
        'Timestamp',
        'TopicArn',
        'Type',
      ]),
      UnsubscribeURL: `${this.ctx.publicUrl()}/${this.provider}/_sns/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscription.arn)}`,
    };
    this.ctx.webhooks.emit(
      {
        url: subscription.endpoint,
        headers: {
          ...this.headers('Notification', fields.MessageId, subscription.topicArn),
          'x-amz-sns-subscription-arn': subscription.arn,
        },
        body: JSON.stringify(body),
      },
      { afterMs },
    );
  }

  /** SNS's canonical string: each signed field's name and value on their own lines, in this fixed order. */
  private signed<T extends Record<string, string>>(
    fields: T,
    order: readonly string[],
  ): T & Record<string, string> {
    const canonical = order.map((key) => `${key}\n${fields[key]}\n`).join('');
    const algorithm = this.signatureVersion === '1' ? 'sha1' : 'sha256';
    const signature = sign(algorithm, Buffer.from(canonical, 'utf8'), SANDBOX_SNS_SIGNING_KEY_PEM).toString(
      'base64',
    );
    return {
      ...fields,
      SignatureVersion: this.signatureVersion,
      Signature: signature,
      SigningCertURL: this.certificateUrl(),
    };
  }

  private headers(type: string, messageId: string, topicArn: string): Record<string, string> {
    return {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': type,
      'x-amz-sns-message-id': messageId,
      'x-amz-sns-topic-arn': topicArn,
      'user-agent': 'Amazon Simple Notification Service Agent',
    };
  }
}

function snsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
