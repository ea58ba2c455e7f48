import Fastify, { type FastifyInstance } from 'fastify';
import type { Herald } from '../../src/main.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/create-sandbox.js';

/**
 * The sandboxes on a port of their own (not mounted in the Herald under test), for tests where Herald processes
 * come and go: workers killed, Heralds stopped.
 */
export interface StandaloneSandbox {
  readonly sandbox: Sandbox;
  readonly server: FastifyInstance;
  readonly url: string;
  close(): Promise<void>;
}

export async function startStandaloneSandbox(seed = 11): Promise<StandaloneSandbox> {
  let url = '';
  const sandbox = createSandbox({ clock: systemClock, http: createHttpPools(), publicUrl: () => url, seed });
  const server = Fastify({ bodyLimit: 8 * 1024 * 1024 });
  await server.register(sandbox.plugin);
  url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    sandbox,
    server,
    url,
    async close() {
      sandbox.close();
      await server.close();
    },
  };
}

/**
 * A WhatsApp Cloud account in the standalone sandbox and the app's channel `wa` on it, configured through Herald's
 * API. With `webhookUrl`, the account's webhooks go there.
 */
export async function whatsAppChannelOn(
  standalone: StandaloneSandbox,
  herald: Herald,
  app: { appId: string; headers: Record<string, string> },
  options: {
    messagesPerSecond: number;
    settings?: Record<string, unknown>;
    timeoutMs?: number;
    webhookUrl?: string;
  },
): Promise<{ phoneNumberId: string }> {
  const account = (
    await standalone.server.inject({
      method: 'POST',
      url: '/whatsapp/_control/accounts',
      payload: { verify: false, settings: { pairBurst: 1000, ...options.settings } },
    })
  ).json();
  const channel = await herald.server.inject({
    method: 'PUT',
    url: `/v1/apps/${app.appId}/channels/wa`,
    headers: app.headers,
    payload: {
      provider: 'whatsapp-cloud',
      sender: { phoneNumberId: account.phoneNumberId },
      credentials: {
        accessToken: account.accessToken,
        appSecret: account.appSecret,
        verifyToken: account.verifyToken,
      },
      options: {
        baseUrl: `${standalone.url}/whatsapp`,
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      },
      limits: { messagesPerSecond: options.messagesPerSecond },
    },
  });
  if (channel.statusCode !== 200) throw new Error(`channel: ${channel.body}`);
  if (options.webhookUrl) {
    const hooked = await standalone.server.inject({
      method: 'PUT',
      url: `/whatsapp/_control/accounts/${account.phoneNumberId}/webhook`,
      payload: { webhookUrl: options.webhookUrl, verify: false },
    });
    if (hooked.statusCode !== 200) throw new Error(`webhook: ${hooked.body}`);
  }
  return { phoneNumberId: account.phoneNumberId };
}
