import { request } from 'undici';
import type { Herald } from '../../src/main.js';
import type { Clock } from '../../src/ports/clock.js';
import type { TestDatabase } from './test-database.js';
import { adminHeaders, createTestHerald } from './test-herald.js';

/** A clock that runs with real time but can be moved forward, for hold times and windows without sleeping. */
export class AdjustableClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface LiveHerald {
  readonly herald: Herald;
  readonly url: string;
  readonly clock: AdjustableClock;
  /** JSON request to Herald (or its mounted sandbox); throws on a network error, not on a status. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** Herald listening on a real port, with the sandboxes mounted at /sandbox and its workers running. */
export async function startLiveHerald(
  db: TestDatabase,
  env: Record<string, string> = {},
): Promise<LiveHerald> {
  const clock = new AdjustableClock();
  const herald = await createTestHerald(db, { sandbox: true, clock, env });
  const url = await herald.listen();
  herald.startWorkers();
  return startLiveHeraldFrom(herald, url, clock);
}

/** The LiveHerald helpers around a Herald the test built itself (already listening, workers started). */
export function startLiveHeraldFrom(herald: Herald, url: string, clock: AdjustableClock): LiveHerald {
  herald.sandbox?.context.webhooks.configure({ minDelayMs: 0, maxDelayMs: 5, retryBaseMs: 50 });
  return {
    herald,
    url,
    clock,
    async call(method, path, options = {}) {
      const response = await request(`${url}${path}`, {
        method: method as 'GET',
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      const text = await response.body.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.statusCode, body };
    },
    stop: () => herald.stop(),
  };
}

/** Polls `find` until it returns something, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  find: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const found = await find();
      if (found !== undefined && found !== false) return found;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Creates an app over HTTP and returns its id and auth headers. */
export async function liveApp(
  live: LiveHerald,
  name = 'live',
): Promise<{ appId: string; headers: Record<string, string> }> {
  const created = await live.call('POST', '/v1/apps', { body: { name }, headers: adminHeaders });
  if (created.status !== 201) throw new Error(`app: ${JSON.stringify(created.body)}`);
  return { appId: created.body.id, headers: { authorization: `Bearer ${created.body.apiKey}` } };
}

/**
 * A WhatsApp Cloud channel of the app against the mounted sandbox: the sandbox account is provisioned, the channel
 * configured through the API, then the sandbox's webhook pointed at Herald (which answers Meta's GET check).
 */
export async function liveWhatsAppChannel(
  live: LiveHerald,
  app: { appId: string; headers: Record<string, string> },
  options: {
    channelId?: string;
    settings?: Record<string, unknown>;
    messagesPerSecond?: number;
    channelOptions?: Record<string, unknown>;
  } = {},
): Promise<{ channelId: string; phoneNumberId: string; appSecret: string; webhookPath: string }> {
  const channelId = options.channelId ?? 'wa';
  const account = await live.call('POST', '/sandbox/whatsapp/_control/accounts', {
    body: { verify: false, settings: { statusGapMs: 5, ...options.settings } },
  });
  if (account.status !== 201) throw new Error(`sandbox account: ${JSON.stringify(account.body)}`);
  const { phoneNumberId, accessToken, appSecret, verifyToken } = account.body;
  const channel = await live.call('PUT', `/v1/apps/${app.appId}/channels/${channelId}`, {
    headers: app.headers,
    body: {
      provider: 'whatsapp-cloud',
      sender: { phoneNumberId },
      credentials: { accessToken, appSecret, verifyToken },
      options: { baseUrl: `${live.url}/sandbox/whatsapp`, ...options.channelOptions },
      ...(options.messagesPerSecond ? { limits: { messagesPerSecond: options.messagesPerSecond } } : {}),
    },
  });
  if (channel.status !== 200) throw new Error(`channel: ${JSON.stringify(channel.body)}`);
  const webhookPath = `/webhooks/${app.appId}/${channelId}`;
  const hooked = await live.call('PUT', `/sandbox/whatsapp/_control/accounts/${phoneNumberId}/webhook`, {
    body: { webhookUrl: `${live.url}${webhookPath}` },
  });
  if (hooked.body?.verification?.verified !== true)
    throw new Error(`webhook verification: ${JSON.stringify(hooked.body)}`);
  return { channelId, phoneNumberId, appSecret, webhookPath };
}

/**
 * A LINE channel of the app against the mounted sandbox, with one user, configured through the API; `act` makes
 * the user follow or unfollow the channel (the sandbox then calls Herald's webhook).
 */
export async function liveLineChannel(
  live: LiveHerald,
  app: { appId: string; headers: Record<string, string> },
  displayName = 'Aiko Tanaka',
): Promise<{ channelId: string; userId: string; act(action: 'follow' | 'unfollow'): Promise<unknown> }> {
  const line = await live.call('POST', '/sandbox/line/_control/channels', {
    body: { users: [{ displayName }], webhookUrl: `${live.url}/webhooks/${app.appId}/line` },
  });
  if (line.status !== 201) throw new Error(`sandbox LINE channel: ${JSON.stringify(line.body)}`);
  const channel = await live.call('PUT', `/v1/apps/${app.appId}/channels/line`, {
    headers: app.headers,
    body: {
      provider: 'line',
      sender: { channelId: line.body.channelId },
      credentials: {
        channelAccessToken: line.body.channelAccessToken,
        channelSecret: line.body.channelSecret,
      },
      options: { baseUrl: `${live.url}/sandbox/line` },
    },
  });
  if (channel.status !== 200) throw new Error(`channel: ${JSON.stringify(channel.body)}`);
  const channelId = line.body.channelId as string;
  const userId = line.body.users[0].userId as string;
  return {
    channelId,
    userId,
    act: (action) =>
      live.call('POST', `/sandbox/line/_control/channels/${channelId}/${action}`, { body: { userId } }),
  };
}

/** Valid, distinct US numbers for tests (libphonenumber accepts 650-555-xxxx). */
export function testNumber(i: number): string {
  return `+1650555${String(1000 + (i % 9000)).padStart(4, '0')}`;
}
