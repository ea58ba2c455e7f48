import type { AdapterDeps } from '../../ports/channel-provider.js';
import type { AwsCredentials } from './aws-credentials.js';
import { UndiciRequestHandler } from './undici-request-handler.js';

/**
 * The configuration both AWS clients (End User Messaging Social and SMS) are built with: the channel's region,
 * endpoint and keys, no SDK retries (the delivery engine retries by failure class), and requests through Herald's
 * undici pools.
 *
 * @example
 * const client = new SocialMessagingClient(awsClientConfig(options, credentials, deps));
 */
export function awsClientConfig(
  options: { readonly region: string; readonly endpoint?: string | undefined; readonly timeoutMs: number },
  credentials: AwsCredentials,
  deps: Pick<AdapterDeps, 'http'>,
) {
  return {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    },
    maxAttempts: 1,
    // Stated here so the SDK does not look for them in the environment or ~/.aws/config.
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    requestHandler: new UndiciRequestHandler(deps.http, options.timeoutMs),
  };
}
