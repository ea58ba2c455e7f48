import type { SandboxProvider } from '../../sandbox/sandbox-provider.js';
import type { ConfigureChannelDeps } from '../channels/configure-channel.js';
import { configureChannel } from '../channels/configure-channel.js';
import { webhookUrl } from '../channels/webhook-url.js';

/**
 * Gives the demo app a channel of every kind the sandbox simulates, each pointed at the mounted sandbox, and
 * provisions the matching account there (with this Herald's webhook URL).
 */
export async function configureDemoChannels(
  deps: ConfigureChannelDeps & { publicUrl: () => string },
  input: { appId: string; sandboxes: readonly SandboxProvider[] },
): Promise<string[]> {
  const configured: string[] = [];
  for (const sandbox of input.sandboxes) {
    if (!sandbox.demoChannel) continue;
    const demo = await sandbox.demoChannel({
      webhookUrl: (channelId) => webhookUrl(deps.publicUrl(), input.appId, channelId),
    });
    await configureChannel(deps, {
      appId: input.appId,
      channelId: demo.channelId,
      provider: demo.provider,
      sender: demo.sender,
      credentials: demo.credentials,
      options: demo.options,
      validate: false,
    });
    configured.push(demo.channelId);
  }
  return configured;
}
