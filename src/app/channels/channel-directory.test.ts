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

  it('never picks a channel a campaign manages as the default, and resolves it by name only for its campaign', async () => {
    const managed: StoredChannel = {
      ...CHANNEL,
      id: 'campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-0',
      provider: 'custom',
      channelType: 'CUSTOM',
      senderKey: 'custom:campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-0',
    };
    const own: StoredChannel = { ...managed, id: 'custom', senderKey: 'custom:own' };
    let stored = [managed];
    const channels: Pick<ChannelStore, 'get' | 'list'> = {
      get: async (_appId, channelId) => stored.find((c) => c.id === channelId),
      list: async () => stored,
    };
    const dir = new ChannelDirectory({
      channels: channels as ChannelStore,
      secrets: { seal: (s) => s, open: () => '{}' },
      providers: {},
      adapterDeps: {} as ChannelDirectoryDeps['adapterDeps'],
      publicUrl: () => 'https://herald.example',
      clock: { now: () => 1_000 },
    });
    await expect(dir.resolve('app1', 'CUSTOM')).rejects.toMatchObject({
      code: 'HERALD_CHANNEL_NOT_CONFIGURED',
      field: 'channelType',
    });
    await expect(dir.resolve('app1', 'CUSTOM', managed.id)).rejects.toMatchObject({
      code: 'HERALD_CHANNEL_NOT_CONFIGURED',
      field: 'channelId',
    });
    expect(await dir.resolve('app1', 'CUSTOM', managed.id, { managed: true })).toBe(managed);
    stored = [managed, own];
    dir.invalidate('app1', own.id);
    expect(await dir.resolve('app1', 'CUSTOM')).toBe(own);
  });
});
