import { type KeyObject, verify, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { WebhookRequest } from '../../ports/channel-adapter.js';
import type { HttpPools } from '../../ports/http-pools.js';
import { snsUrlAllowed } from './sns-url-allowed.js';

const envelopeSchema = z.looseObject({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp: z.string().min(1),
  Subject: z.string().optional(),
  Token: z.string().optional(),
  SubscribeURL: z.string().optional(),
  SignatureVersion: z.string(),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
});

type Envelope = z.output<typeof envelopeSchema>;

export type SnsReceipt =
  | {
      readonly kind: 'notification';
      readonly messageId: string;
      readonly topicArn: string;
      readonly message: string;
      readonly timestamp: string;
    }
  | { readonly kind: 'subscription-confirmed'; readonly topicArn: string }
  | { readonly kind: 'unsubscribed'; readonly topicArn: string }
  | { readonly kind: 'rejected'; readonly status: 400 | 401 | 403; readonly reason: string };

export interface SnsReceiverOptions {
  readonly http: HttpPools;
  /** Hosts `SigningCertURL` and `SubscribeURL` may point at: exact names, or globs with `*` for one label. */
  readonly allowedHosts: readonly string[];
  /** Only this topic is accepted when given (any AWS account can subscribe a URL to its own topic). */
  readonly topicArn?: string;
  readonly timeoutMs?: number;
}

/** Certificates are few (one per region and rotation); this bounds the cache if something churns. */
const MAX_CERTIFICATES = 32;
const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** The fields SNS signs, in its fixed order, per message type. */
const SIGNED_FIELDS: Readonly<Record<Envelope['Type'], readonly (keyof Envelope)[]>> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: [
    'Message',
    'MessageId',
    'SubscribeURL',
    'Timestamp',
    'Token',
    'TopicArn',
    'Type',
  ],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/**
 * Receives Amazon SNS HTTP(S) deliveries: checks the message signature (SignatureVersion 1 = SHA1withRSA, 2 =
 * SHA256withRSA) with the certificate at `SigningCertURL`, whose host must be on the allow-list (certificates are
 * cached), confirms subscriptions by calling `SubscribeURL` (same allow-list), and hands back notifications.
 *
 * @example
 * const receipt = await receiver.receive(request);
 * if (receipt.kind === 'notification') parse(JSON.parse(receipt.message));
 */
export class SnsReceiver {
  private readonly certificates = new Map<string, Promise<KeyObject>>();

  constructor(private readonly options: SnsReceiverOptions) {}

  async receive(request: WebhookRequest): Promise<SnsReceipt> {
    if (request.method !== 'POST') return reject(400, 'SNS delivers with POST');
    let json: unknown;
    try {
      json = JSON.parse(request.rawBody.toString('utf8'));
    } catch {
      return reject(400, 'the body is not an SNS message (not JSON)');
    }
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) return reject(400, 'the body is not an SNS message');
    const envelope = parsed.data;
    const typeHeader = request.headers['x-amz-sns-message-type'];
    if (typeHeader !== undefined && typeHeader !== envelope.Type)
      return reject(400, 'x-amz-sns-message-type does not match the message');
    if (this.options.topicArn !== undefined && envelope.TopicArn !== this.options.topicArn)
      return reject(403, 'the message comes from another SNS topic than the channel’s');

    const verdict = await this.verify(envelope);
    if (verdict !== undefined) return reject(401, verdict);

    switch (envelope.Type) {
      case 'Notification':
        return {
          kind: 'notification',
          messageId: envelope.MessageId,
          topicArn: envelope.TopicArn,
          message: envelope.Message,
          timestamp: envelope.Timestamp,
        };
      case 'SubscriptionConfirmation': {
        const problem = await this.confirm(envelope.SubscribeURL);
        return problem === undefined
          ? { kind: 'subscription-confirmed', topicArn: envelope.TopicArn }
          : reject(400, `the subscription could not be confirmed: ${problem}`);
      }
      case 'UnsubscribeConfirmation':
        return { kind: 'unsubscribed', topicArn: envelope.TopicArn };
    }
  }

  /** Undefined when the signature holds; otherwise why not. */
  private async verify(envelope: Envelope): Promise<string | undefined> {
    const algorithm =
      envelope.SignatureVersion === '1' ? 'sha1' : envelope.SignatureVersion === '2' ? 'sha256' : undefined;
    if (!algorithm) return `SignatureVersion ${envelope.SignatureVersion} is not supported`;
    const certUrl = snsUrlAllowed(envelope.SigningCertURL, this.options.allowedHosts);
    if (typeof certUrl === 'string') return `SigningCertURL: ${certUrl}`;
    if (!certUrl.pathname.endsWith('.pem')) return 'SigningCertURL: not a .pem certificate';
    let key: KeyObject;
    try {
      key = await this.certificate(certUrl);
    } catch (error) {
      return `the signing certificate could not be loaded (${error instanceof Error ? error.message : 'unknown'})`;
    }
    const canonical = SIGNED_FIELDS[envelope.Type]
      .filter((field) => envelope[field] !== undefined)
      .map((field) => `${field}\n${envelope[field]}\n`)
      .join('');
    const ok = verify(
      algorithm,
      Buffer.from(canonical, 'utf8'),
      key,
      Buffer.from(envelope.Signature, 'base64'),
    );
    return ok ? undefined : 'the SNS signature does not match the message';
  }

  private async confirm(subscribeUrl: string | undefined): Promise<string | undefined> {
    if (subscribeUrl === undefined) return 'no SubscribeURL';
    const url = snsUrlAllowed(subscribeUrl, this.options.allowedHosts);
    if (typeof url === 'string') return `SubscribeURL: ${url}`;
    try {
      const response = await this.get(url);
      return response.status >= 200 && response.status < 300 ? undefined : `SNS answered ${response.status}`;
    } catch (error) {
      return error instanceof Error ? error.message : 'request failed';
    }
  }

  private certificate(url: URL): Promise<KeyObject> {
    const key = url.toString();
    let cached = this.certificates.get(key);
    if (!cached) {
      cached = this.get(url).then((response) => {
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        return new X509Certificate(response.body).publicKey;
      });
      // A failed fetch is not remembered: the next message tries again.
      cached.catch(() => this.certificates.delete(key));
      if (this.certificates.size >= MAX_CERTIFICATES) {
        const oldest = this.certificates.keys().next().value;
        if (oldest !== undefined) this.certificates.delete(oldest);
      }
      this.certificates.set(key, cached);
    }
    return cached;
  }

  private async get(url: URL): Promise<{ status: number; body: string }> {
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    const response = await this.options.http.pool(url.origin).request({
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_CERTIFICATE_BYTES) {
        response.body.destroy();
        throw new Error('response too large');
      }
      chunks.push(chunk as Buffer);
    }
    return { status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') };
  }
}

function reject(status: 400 | 401 | 403, reason: string): SnsReceipt {
  return { kind: 'rejected', status, reason };
}
