import type { Channel } from '../../domain/channel.js';
import type { ChannelType, ProviderKind } from '../../domain/channel-type.js';
import { HeraldError } from '../../domain/errors.js';
import { isManagedChannelId } from '../../domain/managed-channel.js';
import type { ChannelAdapter } from '../../ports/channel-adapter.js';
import type { AdapterDeps, ChannelProvider } from '../../ports/channel-provider.js';
import type { ChannelStore, StoredChannel } from '../../ports/channel-store.js';
import type { Clock } from '../../ports/clock.js';
import type { SecretBox } from '../../ports/secret-box.js';
import { webhookUrl } from './webhook-url.js';

export interface ChannelDirectoryDeps {
  readonly channels: ChannelStore;
  readonly secrets: SecretBox;
  readonly providers: Partial<Record<ProviderKind, ChannelProvider>>;
  readonly adapterDeps: Omit<AdapterDeps, 'webhookUrl'>;
  readonly publicUrl: () => string;
  readonly clock: Clock;
  /** How long a built adapter is trusted before the channel row is read again (another process may change it). */
  readonly recheckMs?: number;
}

interface CachedAdapter {
  readonly channel: StoredChannel;
  readonly adapter: ChannelAdapter;
  checkedAt: number;
}

/**
 * Finds an app's channels and builds their adapters, opening the sealed credentials only here. Adapters are
 * cached; a channel changed through this process is rebuilt at once, one changed by another process within
 * `recheckMs`.
 *
 * @example
 * const { channel, adapter } = await directory.adapterFor(appId, 'whatsapp-main');
 */
export class ChannelDirectory {
  private readonly cache = new Map<string, CachedAdapter>();
  private readonly byType = new Map<string, { channels: StoredChannel[]; at: number }>();

  constructor(private readonly deps: ChannelDirectoryDeps) {}

  provider(kind: ProviderKind): ChannelProvider {
    const provider = this.deps.providers[kind];
    if (!provider)
      throw new HeraldError('HERALD_VALIDATION_FAILED', `provider ${kind} is not available`, {
        field: 'provider',
      });
    return provider;
  }

  /**
   * The channel to use: the named one, or the app's first channel of the type, by id. A channel a campaign manages
   * (`campaign-<id>-<treatment>`) holds that campaign's receiver and the headers sealed for it: it is never the
   * default (its id sorts before `custom`), and only its campaign names it (`managed`); a send or another campaign
   * that names it is refused, as if it did not exist for them.
   */
  async resolve(
    appId: string,
    channelType: ChannelType,
    channelId?: string,
    options: { readonly managed?: boolean } = {},
  ): Promise<Channel> {
    if (channelId !== undefined) {
      if (isManagedChannelId(channelId) && options.managed !== true) {
        throw new HeraldError(
          'HERALD_CHANNEL_NOT_CONFIGURED',
          `channel ${channelId} belongs to a campaign and carries only that campaign's messages; name a channel of the app's own`,
          { field: 'channelId' },
        );
      }
      const channel = await this.deps.channels.get(appId, channelId);
      if (!channel)
        throw new HeraldError('HERALD_CHANNEL_NOT_CONFIGURED', `channel ${channelId} does not exist`, {
          field: 'channelId',
        });
      if (channel.channelType !== channelType) {
        throw new HeraldError(
          'HERALD_CHANNEL_NOT_CONFIGURED',
          `channel ${channelId} carries ${channel.channelType}, not ${channelType}`,
          {
            field: 'channelId',
          },
        );
      }
      return channel;
    }
    const first = (await this.channelsOfType(appId, channelType)).find((c) => !isManagedChannelId(c.id));
    if (!first) {
      throw new HeraldError(
        'HERALD_CHANNEL_NOT_CONFIGURED',
        `the app has no ${channelType} channel; configure one with PUT /v1/apps/{appId}/channels/{channelId}`,
        {
          field: 'channelType',
        },
      );
    }
    return first;
  }

  /** An app's channels of a type, cached like adapters: the send API resolves one on every request. */
  private async channelsOfType(appId: string, channelType: ChannelType): Promise<StoredChannel[]> {
    const key = `${appId}\u0000${channelType}`;
    const now = this.deps.clock.now();
    const cached = this.byType.get(key);
    if (cached && now - cached.at < (this.deps.recheckMs ?? 5_000)) return cached.channels;
    const channels = await this.deps.channels.list(appId, { channelType });
    if (this.byType.size > 10_000) this.byType.clear();
    this.byType.set(key, { channels, at: now });
    return channels;
  }

  async adapterFor(
    appId: string,
    channelId: string,
  ): Promise<{ channel: StoredChannel; adapter: ChannelAdapter }> {
    const fresh = this.freshAdapter(appId, channelId);
    if (fresh) return fresh;
    const key = `${appId}\u0000${channelId}`;
    const now = this.deps.clock.now();
    const cached = this.cache.get(key);

    const channel = await this.deps.channels.get(appId, channelId);
    if (!channel) {
      this.drop(key);
      throw new HeraldError('HERALD_CHANNEL_NOT_CONFIGURED', `channel ${channelId} does not exist`, {
        field: 'channelId',
      });
    }
    if (cached && cached.channel.updatedAt === channel.updatedAt) {
      cached.checkedAt = now;
      return cached;
    }
    this.drop(key);
    const built: CachedAdapter = { channel, adapter: this.build(channel), checkedAt: now };
    this.cache.set(key, built);
    return built;
  }

  /**
   * The adapter when a fresh one is cached, without a promise: the webhook route asks on every request and only
   * needs `adapterFor` when this misses.
   */
  freshAdapter(
    appId: string,
    channelId: string,
  ): { channel: StoredChannel; adapter: ChannelAdapter } | undefined {
    const cached = this.cache.get(`${appId}\u0000${channelId}`);
    return cached && this.deps.clock.now() - cached.checkedAt < (this.deps.recheckMs ?? 5_000)
      ? cached
      : undefined;
  }

  /**
   * The last status the channel's provider reports for a message that goes well: `read` (WhatsApp), `delivered`
   * (SMS), or `sent` (LINE and custom channels report nothing after accepting a message).
   */
  async lastStatus(appId: string, channelId: string): Promise<'sent' | 'delivered' | 'read'> {
    try {
      const { channel } = await this.adapterFor(appId, channelId);
      const provider = this.deps.providers[channel.provider];
      if (provider?.deliveryReceipts === false) return 'sent';
      return provider?.readReceipts === false ? 'delivered' : 'read';
    } catch {
      return 'read';
    }
  }

  /** Builds an adapter for a channel that is not stored yet (credential validation on save). */
  build(channel: StoredChannel): ChannelAdapter {
    const provider = this.provider(channel.provider);
    const credentials: unknown = JSON.parse(this.deps.secrets.open(channel.sealedCredentials));
    return provider.createAdapter(
      {
        sender: provider.senderSchema.parse(channel.sender),
        credentials: provider.credentialsSchema.parse(credentials),
        options: provider.optionsSchema.parse(channel.options),
      },
      {
        ...this.deps.adapterDeps,
        appId: channel.appId,
        webhookUrl: webhookUrl(this.deps.publicUrl(), channel.appId, channel.id),
      },
    );
  }

  invalidate(appId: string, channelId: string): void {
    this.drop(`${appId}\u0000${channelId}`);
    for (const key of this.byType.keys()) if (key.startsWith(`${appId}\u0000`)) this.byType.delete(key);
  }

  async close(): Promise<void> {
    const adapters = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(adapters.map((c) => c.adapter.close?.()));
  }

  private drop(key: string): void {
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      void cached.adapter.close?.();
    }
  }
}
