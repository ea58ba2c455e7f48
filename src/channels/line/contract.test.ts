import { request } from 'undici';
import { afterAll } from 'vitest';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createLineSandbox } from '../../sandbox/line/line-sandbox.js';
import { runChannelContract } from '../contract.case.test.js';
import { lineProvider } from './provider.js';

const http = createHttpPools();
afterAll(() => http.close());

async function control(url: string, body: unknown): Promise<Record<string, string>> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.body.json()) as Record<string, string>;
  if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${JSON.stringify(json)}`);
  return json;
}

runChannelContract({
  name: 'line',
  sandboxProviders: [createLineSandbox],
  async setup(harness, { timeoutMs }) {
    const base = `${harness.sandboxUrl}/line`;
    const channel = await control(`${base}/_control/channels`, { webhookUrl: harness.webhookUrl });
    const user = await control(`${base}/_control/channels/${channel.channelId}/follow`, {
      displayName: 'Mika',
    });
    const deps = {
      http,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      webhookUrl: harness.webhookUrl,
      customFunctions: {},
      snsCertHosts: [],
    };
    const config = (channelAccessToken: string) => ({
      sender: { channelId: String(channel.channelId) },
      credentials: { channelAccessToken, channelSecret: String(channel.channelSecret) },
      options: { baseUrl: base, timeoutMs },
    });
    return {
      adapter: lineProvider.createAdapter(config(String(channel.channelAccessToken)), deps),
      badCredentials: lineProvider.createAdapter(config('not-the-channel-access-token'), deps),
      recipient: String(user.userId),
      content: { kind: 'text', text: 'Hello from the LINE contract' },
      userWrites: async (text) => {
        await control(`${base}/_control/channels/${channel.channelId}/message`, {
          userId: user.userId,
          text,
        });
      },
      statusWebhooks: false,
    };
  },
});
