import { request } from 'undici';
import { afterAll } from 'vitest';
import { createLogger } from '../../runtime/create-logger.js';
import { systemClock } from '../../runtime/system-clock.js';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { createTwilioSandbox } from '../../sandbox/twilio/twilio-sandbox.js';
import { runChannelContract } from '../contract.case.test.js';
import { twilioProvider } from './provider.js';

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

const NUMBER = '+15005550006';
const USER = '+14155550123';

runChannelContract({
  name: 'twilio',
  sandboxProviders: [createTwilioSandbox],
  async setup(harness, { timeoutMs }) {
    const base = `${harness.sandboxUrl}/twilio`;
    const account = await control(`${base}/_control/accounts`, {
      numbers: [{ phoneNumber: NUMBER, smsUrl: harness.webhookUrl }],
    });
    const deps = {
      http,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      webhookUrl: harness.webhookUrl,
      customFunctions: {},
      snsCertHosts: [],
    };
    const config = (authToken: string) => ({
      sender: { from: NUMBER },
      credentials: { accountSid: String(account.accountSid), authToken },
      options: { baseUrl: base, timeoutMs },
    });
    return {
      adapter: twilioProvider.createAdapter(config(String(account.authToken)), deps),
      badCredentials: twilioProvider.createAdapter(config('0123456789abcdef0123456789abcdef'), deps),
      recipient: USER,
      content: { kind: 'text', text: 'Your Herald code is 424242' },
      userWrites: async (text) => {
        await control(`${base}/_control/accounts/${account.accountSid}/inbound`, {
          from: USER,
          to: NUMBER,
          body: text,
        });
      },
      statusWebhooks: true,
    };
  },
});
