import type { ChannelLimits } from '../../domain/channel.js';
import type { ProviderKind } from '../../domain/channel-type.js';
import { HeraldError } from '../../domain/errors.js';
import { isManagedChannelId } from '../../domain/managed-channel.js';
import type { ChannelStore, StoredChannel } from '../../ports/channel-store.js';
import type { Clock } from '../../ports/clock.js';
import type { SecretBox } from '../../ports/secret-box.js';
import { validationError } from '../zod-issues.js';
import type { ChannelDirectory } from './channel-directory.js';

export interface ConfigureChannelDeps {
  readonly channels: ChannelStore;
  readonly secrets: SecretBox;
  readonly directory: ChannelDirectory;
  readonly clock: Clock;
  /** Refuses a URL in the sender or options that Herald may not call (HERALD_OUTBOUND_DESTINATIONS). */
  readonly checkDestination?: (url: string, field: string) => void;
}

export interface ConfigureChannelInput {
  readonly appId: string;
  readonly channelId: string;
  readonly provider: ProviderKind;
  readonly sender: unknown;
  /** May be left out when updating a channel of the same provider: the stored ones are kept. */
  readonly credentials?: unknown;
  readonly options?: unknown;
  readonly limits?: Partial<ChannelLimits>;
  /** Ask the provider whether the credentials work, where it has a call for that (default true). */
  readonly validate?: boolean;
  /** A campaign configures a channel it manages: only then may the id be `campaign-<id>-<treatment>`. */
  readonly managed?: boolean;
}

/**
 * Creates or replaces a channel: each part is checked against the provider's own schema, credentials are
 * sealed, and (where the provider allows it) tried before anything is stored.
 */
export async function configureChannel(
  deps: ConfigureChannelDeps,
  input: ConfigureChannelInput,
): Promise<StoredChannel> {
  const channel = await prepareChannel(deps, input);
  const stored = await deps.channels.put(channel);
  deps.directory.invalidate(input.appId, input.channelId);
  return stored;
}

/**
 * The channel `configureChannel` would store, checked and tried the same way, without storing it: a campaign
 * stores the channels it manages with itself, once all of it has been checked.
 */
export async function prepareChannel(
  deps: ConfigureChannelDeps,
  input: ConfigureChannelInput,
): Promise<StoredChannel> {
  if (isManagedChannelId(input.channelId) && input.managed !== true) {
    // Else an app could put its own receiver or headers under a campaign's channel, or make one that no send uses.
    throw new HeraldError(
      'HERALD_VALIDATION_FAILED',
      `channelId: ${input.channelId} is the id of a channel a campaign manages (campaign-<id>-<treatment>); change the campaign, or choose another id`,
      { field: 'channelId' },
    );
  }
  const provider = deps.directory.provider(input.provider);
  const existing = await deps.channels.get(input.appId, input.channelId);

  const sender = provider.senderSchema.safeParse(input.sender);
  if (!sender.success) throw validationError(sender.error, 'sender');
  const options = provider.optionsSchema.safeParse(input.options ?? {});
  if (!options.success) throw validationError(options.error, 'options');
  if (deps.checkDestination) {
    // Base URLs, a custom channel's delivery URI: any URL the adapter will call.
    for (const [part, values] of [
      ['sender', sender.data],
      ['options', options.data],
    ] as const) {
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        if (typeof value === 'string' && /^https?:\/\//i.test(value))
          deps.checkDestination(value, `${part}.${key}`);
      }
    }
  }

  let sealedCredentials: string;
  if (input.credentials === undefined) {
    if (!existing || existing.provider !== input.provider) {
      throw new HeraldError(
        'HERALD_VALIDATION_FAILED',
        `credentials: required for a new ${input.provider} channel`,
        { field: 'credentials' },
      );
    }
    sealedCredentials = existing.sealedCredentials;
  } else {
    const credentials = provider.credentialsSchema.safeParse(input.credentials);
    if (!credentials.success) throw validationError(credentials.error, 'credentials');
    sealedCredentials = deps.secrets.seal(JSON.stringify(credentials.data));
  }

  const messagesPerSecond =
    input.limits?.messagesPerSecond ??
    existing?.limits.messagesPerSecond ??
    provider.defaultMessagesPerSecond;
  const now = deps.clock.now();
  const channel: StoredChannel = {
    appId: input.appId,
    id: input.channelId,
    provider: input.provider,
    channelType: provider.channelType,
    sender: sender.data as Record<string, unknown>,
    options: options.data as Record<string, unknown>,
    limits: { messagesPerSecond },
    senderKey: provider.senderKey(sender.data),
    sealedCredentials,
    createdAt: existing?.createdAt ?? now,
    // Strictly increasing, so adapter caches in every process see the change.
    updatedAt: Math.max(now, (existing?.updatedAt ?? 0) + 1),
  };

  if (input.validate !== false) {
    const adapter = deps.directory.build(channel);
    try {
      const verdict = await adapter.validateCredentials?.();
      if (verdict && !verdict.ok) {
        throw new HeraldError(
          'HERALD_CHANNEL_CREDENTIALS_REJECTED',
          `the provider rejected the credentials: ${verdict.reason}`,
          {
            field: 'credentials',
          },
        );
      }
    } finally {
      await adapter.close?.();
    }
  }

  return channel;
}
