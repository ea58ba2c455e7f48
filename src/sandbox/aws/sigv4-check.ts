import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigV4Request {
  readonly method: string;
  /** The path and query exactly as received (with any mount prefix): the client signed that path. */
  readonly url: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export type SigV4Verdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly region: string }
  | {
      readonly ok: false;
      /** AWS's own error names for each case. */
      readonly error:
        | 'MissingAuthenticationTokenException'
        | 'IncompleteSignatureException'
        | 'UnrecognizedClientException'
        | 'InvalidSignatureException';
      readonly message: string;
    };

/** AWS refuses requests signed more than 15 minutes off its own clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** Node's crypto in the shape the signer wants (a hash, or an HMAC when given a secret). */
class NodeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.create();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * Checks an AWS Signature Version 4 the way the service would: the credential scope names this service, the date is
 * within 15 minutes, the access key is known, and the signature recomputed with its secret (by the same signer the
 * SDKs use) matches, so a client that signs the wrong path, body or headers fails here as it would at AWS.
 *
 * @example
 * const verdict = await checkSigV4(request, { service: 'sms-voice', now: clock.now(), secretFor: (akid) => keys.get(akid) });
 */
export async function checkSigV4(
  request: SigV4Request,
  options: { service: string; now: number; secretFor(accessKeyId: string): string | undefined },
): Promise<SigV4Verdict> {
  const header = single(request.headers.authorization);
  if (!header) return fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTHORIZATION.exec(header.trim());
  if (!match)
    return fail(
      'IncompleteSignatureException',
      'Authorization header requires Credential, SignedHeaders and Signature',
    );
  const [, accessKeyId = '', day = '', region = '', service = '', signedHeaderList = '', signature = ''] =
    match;
  if (service !== options.service)
    return fail(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${options.service}'.`,
    );
  const amzDate = single(request.headers['x-amz-date']) ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate || amzDate.slice(0, 8) !== day)
    return fail(
      'IncompleteSignatureException',
      'X-Amz-Date is missing or does not match the credential scope',
    );
  if (Math.abs(options.now - signingDate.getTime()) > MAX_SKEW_MS)
    return fail(
      'InvalidSignatureException',
      'Signature expired: the request time is more than 15 minutes from the server time.',
    );
  const secret = options.secretFor(accessKeyId);
  if (secret === undefined)
    return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host'))
    return fail('IncompleteSignatureException', "'Host' must be a signed header");
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = single(request.headers[name]);
    if (value === undefined) return fail('IncompleteSignatureException', `signed header ${name} is missing`);
    headers[name] = value;
  }
  const declaredHash = headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(request.body).digest('hex'))
    return fail('InvalidSignatureException', 'x-amz-content-sha256 does not match the body');

  const url = new URL(request.url, 'http://sandbox.invalid');
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: NodeSha256,
    uriEscapePath: true,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: url.pathname,
      query,
      headers,
      body: request.body,
    },
    { signingDate },
  );
  const recomputed = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization ?? ''))?.[1] ?? '';
  const same =
    recomputed.length === signature.length &&
    timingSafeEqual(Buffer.from(recomputed), Buffer.from(signature));
  if (!same) {
    return fail(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return { ok: true, accessKeyId, region };
}

function fail(error: Extract<SigV4Verdict, { ok: false }>['error'], message: string): SigV4Verdict {
  return { ok: false, error, message };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20261121T101500Z` -> a Date; undefined when malformed. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
