import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

const WHATSAPP = {
  provider: 'whatsapp-cloud',
  sender: { phoneNumberId: '1065' },
  credentials: {
    accessToken: 'token-0123456789abcdef',
    appSecret: 'secret-secret',
    verifyToken: 'verify-token',
  },
  validate: false,
};

describeEachDatabase('HERALD_OUTBOUND_DESTINATIONS=public', (db) => {
  let herald: Herald;
  let hits = 0;
  let receiver: http.Server;
  let port = 0;
  beforeEach(async () => {
    herald = await createTestHerald(db(), { env: { HERALD_OUTBOUND_DESTINATIONS: 'public' } });
    hits = 0;
    receiver = http.createServer((_req, res) => {
      hits++;
      res.end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await herald.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('refuses internal addresses in subscriptions and channel URLs, naming the field', async () => {
    const { appId, headers } = await createTestApp(herald);
    const subscription = await herald.server.inject({
      method: 'POST',
      url: `/v1/apps/${appId}/subscriptions`,
      headers,
      payload: { url: 'http://169.254.169.254/latest/meta-data', events: ['message.status'] },
    });
    expect(subscription.statusCode).toBe(400);
    expect(subscription.json().error).toMatchObject({ code: 'HERALD_DESTINATION_REFUSED', field: 'url' });

    const channel = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${appId}/channels/wa`,
      headers,
      payload: { ...WHATSAPP, options: { baseUrl: 'http://[::1]:8080/graph' } },
    });
    expect(channel.statusCode).toBe(400);
    expect(channel.json().error).toMatchObject({
      code: 'HERALD_DESTINATION_REFUSED',
      field: 'options.baseUrl',
    });
  });

  it('never connects to a name that resolves to an internal address: the send fails and nothing arrives', async () => {
    const app = await createTestApp(herald);
    const subscription = await herald.server.inject({
      method: 'POST',
      url: `/v1/apps/${app.appId}/subscriptions`,
      headers: app.headers,
      payload: { url: `http://localhost:${port}/hook`, events: ['message.status'] },
    });
    expect(subscription.statusCode).toBe(201);
    await expectRefusedSend(
      app,
      { id: 'wa', ...WHATSAPP, options: { baseUrl: `http://localhost:${port}/graph` } },
      { channelType: 'WHATSAPP', to: '+16505551234', template: { name: 'hello', language: 'en_US' } },
    );
    // The failure's event is not delivered either: dropped at the first refusal, not retried for a day.
    let metrics = '';
    for (
      let i = 0;
      i < 100 && !/herald_event_deliveries_total\{outcome="dropped"\} [1-9]/.test(metrics);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      metrics = (await herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    }
    expect(metrics).toMatch(/herald_event_deliveries_total\{outcome="dropped"\} [1-9]/);
    expect(metrics).not.toMatch(/herald_event_deliveries_total\{outcome="retried"\}/);
    expect(hits).toBe(0);
  });

  it('an AWS channel whose endpoint resolves to an internal address fails its send once, as final', async () => {
    await expectRefusedSend(
      await createTestApp(herald),
      {
        id: 'sms',
        provider: 'eum-sms',
        sender: { originationIdentity: '+12065550152' },
        credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret-0123456789abcdef' },
        options: { region: 'us-east-1', endpoint: `http://localhost:${port}` },
        validate: false,
      },
      { channelType: 'SMS', to: '+16505551234', text: 'hello' },
    );
    expect(hits).toBe(0);
  });

  /** Configures the channel, sends one message through it and expects it failed once, as final (no retries). */
  async function expectRefusedSend(
    app: { appId: string; headers: Record<string, string> },
    channel: { id: string } & Record<string, unknown>,
    message: Record<string, unknown>,
  ) {
    const { id, ...config } = channel;
    const put = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/channels/${id}`,
      headers: app.headers,
      payload: config,
    });
    expect(put.statusCode).toBe(200);
    herald.startWorkers();
    const sent = await herald.server.inject({
      method: 'POST',
      url: `/v1/apps/${app.appId}/messages`,
      headers: app.headers,
      payload: message,
    });
    expect(sent.statusCode).toBe(202);
    const { messageId } = sent.json() as { messageId: string };
    let state: { status: string; attempts?: number; error?: { code: string } } = { status: 'queued' };
    for (let i = 0; i < 100 && state.status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (
        await herald.server.inject({
          method: 'GET',
          url: `/v1/apps/${app.appId}/messages/${messageId}`,
          headers: app.headers,
        })
      ).json();
    }
    expect(state).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'HERALD_DESTINATION_REFUSED' },
    });
  }
});
