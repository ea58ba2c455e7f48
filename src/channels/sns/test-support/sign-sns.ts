import { sign } from 'node:crypto';
import { SANDBOX_SNS_SIGNING_KEY_PEM } from '../../../sandbox/sns/sandbox-sns-key-material.js';

/**
 * Signs an SNS message with the sandbox's test key, written independently of the sandbox's publisher so the
 * receiver is checked against a second implementation of SNS's canonical string.
 */
export function signSns(
  fields: Record<string, string>,
  options: { certUrl: string; version?: '1' | '2' },
): Record<string, string> {
  const order =
    fields.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let canonical = '';
  for (const key of order) if (fields[key] !== undefined) canonical += `${key}\n${fields[key]}\n`;
  const version = options.version ?? '1';
  const signature = sign(
    version === '1' ? 'RSA-SHA1' : 'RSA-SHA256',
    Buffer.from(canonical),
    SANDBOX_SNS_SIGNING_KEY_PEM,
  );
  return {
    ...fields,
    SignatureVersion: version,
    Signature: signature.toString('base64'),
    SigningCertURL: options.certUrl,
  };
}
