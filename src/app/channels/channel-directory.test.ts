import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChannelAdapter } from '../../ports/channel-adapter.js';
import type { ChannelProvider } from '../../ports/channel-provider.js';
import type { ChannelStore, StoredChannel } from '../../ports/channel-store.js';
import { ChannelDirectory, type ChannelDirectoryDeps } from './channel-directory.js';

const CHANNEL: StoredChannel = {
  appId: 'app1',
  id: 'wa',
  provider: 'whatsapp-cloud',
  channelType: 'WHATSAPP',
  sender: {},
  options: {},
  limits: { messagesPerSecond: 80 },
  senderKey: 'whatsapp-cloud:1',
  createdAt: 1,
  updatedAt: 1,
  sealedCredentials: 'sealed',
};

function directory() {
  let now = 1_000;
  const reads: string[] = [];
  const channels: Pick<ChannelStore, 'get'> = {
    get: async (appId, channelId) => {
      reads.push(`${appId}/${channelId}`);
      return appId === CHANNEL.appId && channelId === CHANNEL.id ? CHANNEL : undefined;
    },
  };
  const provider = {
    senderSchema: z.unknown(),
    credentialsSchema: z.unknown(),
    optionsSchema: z.unknown(),
    createAdapter: () => ({}) as ChannelAdapter,
  } as unknown as ChannelProvider;
  const dir = new ChannelDirectory({
    channels: channels as ChannelStore,
    secrets: { seal: (s) => s, open: () => '{}' },
    providers: { 'whatsapp-cloud': provider },
    adapterDeps: {} as ChannelDirectoryDeps['adapterDeps'],
    publicUrl: () => 'https://herald.example',
    clock: { now: () => now },
    recheckMs: 5_000,
  });
  return { dir, reads, advance: (ms: number) => (now += ms) };
}

describe('ChannelDirectory', () => {
  it('answers from its cache without a promise while the adapter is fresh, and not after', async () => {
    const { dir, reads, advance } = directory();
    expect(dir.freshAdapter('app1', 'wa')).toBeUndefined();
    const built = await dir.adapterFor('app1', 'wa');
    expect(dir.freshAdapter('app1', 'wa')).toBe(built);
    expect(await dir.adapterFor('app1', 'wa')).toBe(built);
    expect(reads).toEqual(['app1/wa']);
    advance(5_000);
    // Time to read the channel row again (another process may have changed it): only adapterFor does that.
    expect(dir.freshAdapter('app1', 'wa')).toBeUndefined();
    expect(await dir.adapterFor('app1', 'wa')).toBe(built);
    expect(reads).toEqual(['app1/wa', 'app1/wa']);
    expect(dir.freshAdapter('app1', 'wa')).toBe(built);
    expect(dir.freshAdapter('app1', 'other')).toBeUndefined();
    dir.invalidate('app1', 'wa');
    expect(dir.freshAdapter('app1', 'wa')).toBeUndefined();
  });
});
