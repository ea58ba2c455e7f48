import { expect } from 'vitest';
import { eventually, type LiveHerald, liveApp } from '../helpers/live-herald.js';

/** An app over HTTP with a WhatsApp Cloud channel (with its WABA id, for template sync) on the mounted sandbox. */
export interface CampaignApp {
  readonly appId: string;
  readonly headers: Record<string, string>;
  readonly phoneNumberId: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path
  ): Promise<{ status: number; body: any }>;
}

export async function campaignApp(
  live: LiveHerald,
  options: { messagesPerSecond?: number; sandboxMessagesPerSecond?: number } = {},
): Promise<CampaignApp> {
  const app = await liveApp(live);
  const account = await live.call('POST', '/sandbox/whatsapp/_control/accounts', {
    body: {
      verify: false,
      settings: {
        statusGapMs: 5,
        pairBurst: 1000,
        ...(options.sandboxMessagesPerSecond ? { messagesPerSecond: options.sandboxMessagesPerSecond } : {}),
      },
    },
  });
  expect(account.status, JSON.stringify(account.body)).toBe(201);
  const { phoneNumberId, wabaId, accessToken, appSecret, verifyToken } = account.body;
  const call: CampaignApp['call'] = (method, path, body) =>
    live.call(method, `/v1/apps/${app.appId}${path}`, {
      headers: app.headers,
      ...(body === undefined ? {} : { body }),
    });
  const channel = await call('PUT', '/channels/wa', {
    provider: 'whatsapp-cloud',
    sender: { phoneNumberId, wabaId },
    credentials: { accessToken, appSecret, verifyToken },
    options: { baseUrl: `${live.url}/sandbox/whatsapp` },
    ...(options.messagesPerSecond ? { limits: { messagesPerSecond: options.messagesPerSecond } } : {}),
  });
  expect(channel.status, JSON.stringify(channel.body)).toBe(200);
  const hooked = await live.call('PUT', `/sandbox/whatsapp/_control/accounts/${phoneNumberId}/webhook`, {
    body: { webhookUrl: `${live.url}/webhooks/${app.appId}/wa` },
  });
  expect(hooked.body?.verification?.verified).toBe(true);
  return { ...app, phoneNumberId, call };
}

/** Sandbox WhatsApp messages of the number, as Meta received them. */
export async function sandboxMessages(
  live: LiveHerald,
  phoneNumberId: string,
): Promise<{ to: string; at: number; message: Record<string, unknown> & { template?: TemplatePayload } }[]> {
  const { body } = await live.call(
    'GET',
    `/sandbox/whatsapp/_control/messages?phoneNumberId=${phoneNumberId}`,
  );
  return body.items;
}

export interface TemplatePayload {
  name: string;
  language: { code: string };
  components?: { type: string; parameters: Record<string, unknown>[]; sub_type?: string; index?: string }[];
}

/** A campaign's activities once `done` says so. */
export async function activitiesWhen(
  app: CampaignApp,
  campaignId: string,
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path
  done: (items: any[]) => boolean,
  what: string,
  timeoutMs = 20_000,
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path
): Promise<any[]> {
  return eventually(
    async () => {
      const { body } = await app.call('GET', `/campaigns/${campaignId}/activities`);
      return Array.isArray(body.items) && done(body.items) ? body.items : undefined;
    },
    what,
    timeoutMs,
  );
}

/** `+1650555xxxx` numbers that libphonenumber accepts. */
export function phone(i: number): string {
  return `+1650555${String(2000 + i).padStart(4, '0')}`;
}

/** The sandbox's `hello_world` WhatsApp template, created in the app; its id. */
export async function helloWorldTemplate(app: CampaignApp): Promise<string> {
  const created = await app.call('POST', '/templates', {
    kind: 'whatsapp',
    name: 'hello_world',
    languages: [
      { language: 'en_US', body: { text: 'Hello World! Welcome to the Herald WhatsApp sandbox.' } },
    ],
  });
  if (created.status !== 201) throw new Error(`template: ${JSON.stringify(created.body)}`);
  return created.body.id;
}
