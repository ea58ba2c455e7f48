import { request } from 'undici';
import { afterAll } from 'vitest';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createCustomSandbox } from '../../sandbox/custom/custom-sandbox.js';
import { runChannelContract } from '../contract.case.test.js';
import { customProvider } from './provider.js';

const http = createHttpPools();
afterAll(() => http.close());

runChannelContract({
  name: 'custom',
  sandboxProviders: [createCustomSandbox],
  // Pinpoint's custom channels only deliver: no inbound messages, no statuses.
  inboundWebhooks: false,
  async setup(harness, { timeoutMs }) {
    const response = await request(`${harness.sandboxUrl}/custom/_control/receivers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'contract', authorization: 'Bearer contract-secret' }),
    });
    const receiver = (await response.body.json()) as { deliveryUri: string };
    const deps = {
      http,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      appId: 'app-contract',
      webhookUrl: harness.webhookUrl,
      customFunctions: {},
      snsCertHosts: [],
    };
    const config = (authorization: string) => ({
      sender: { name: 'contract' },
      credentials: { headers: { authorization } },
      options: { deliveryUri: receiver.deliveryUri, timeoutMs },
    });
    return {
      adapter: customProvider.createAdapter(config('Bearer contract-secret'), deps),
      badCredentials: customProvider.createAdapter(config('Bearer a-guess'), deps),
      recipient: 'endpoint-contract-1',
      content: { kind: 'custom', data: '{"template":"welcome"}' },
      userWrites: async () => {
        throw new Error('custom channels have no inbound messages');
      },
      statusWebhooks: false,
    };
  },
});
