import { createHmac } from 'node:crypto';
import net from 'node:net';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { request } from 'undici';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { inboxEventKey } from '../../src/storage/inbox-store.js';
import { eventually } from '../helpers/sandbox-server.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

/** The demo builds webhook URLs before Herald listens, so it needs the port it will get. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * WhatsApp (Meta Cloud API and AWS End User Messaging Social) and End User Messaging SMS through Herald itself, on
 * a real port: channels configured over the API against the sandbox Herald mounts, the sandbox's signed webhooks
 * (Meta's X-Hub-Signature-256, SNS signatures) crossing the socket into `/webhooks/{appId}/{channelId}`, and the
 * events landing in the inbox table.
 */
describeEachDatabase('WhatsApp and AWS channels end to end through Herald', (db) => {
  let herald: Herald;
  let url: string;
  const sdkClients: { destroy(): void }[] = [];

  beforeEach(async () => {
    herald = await createTestHerald(db(), {
      sandbox: true,
      env: { HERALD_PORT: String(await freePort()) },
    });
    url = await herald.listen();
    herald.sandbox?.context.webhooks.configure({
      minDelayMs: 0,
      maxDelayMs: 5,
      retryBaseMs: 50,
      maxAttempts: 4,
    });
  });
  afterEach(async () => {
    for (const client of sdkClients.splice(0)) client.destroy();
    await herald.stop();
  });

  async function call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await request(`${url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    // biome-ignore lint/suspicious/noExplicitAny: tests read the answers by path
    return { status: response.statusCode, body: parsed as any };
  }

  const inbox = (appId: string) =>
    db()
      .db.selectFrom('inbox')
      .select(['channel_id', 'sender_key', 'event_type', 'event_id', 'payload'])
      .where('app_id', '=', appId)
      .execute();

  async function whatsAppChannel() {
    const app = await createTestApp(herald);
    const account = (await call('POST', '/sandbox/whatsapp/_control/accounts', { verify: false })).body;
    const put = await call(
      'PUT',
      `/v1/apps/${app.appId}/channels/wa`,
      {
        provider: 'whatsapp-cloud',
        sender: { phoneNumberId: account.phoneNumberId, wabaId: account.wabaId },
        credentials: {
          accessToken: account.accessToken,
          appSecret: account.appSecret,
          verifyToken: account.verifyToken,
        },
        options: { baseUrl: `${url}/sandbox/whatsapp` },
      },
      app.headers,
    );
    return { app, account, put, webhookPath: `/webhooks/${app.appId}/wa` };
  }

  it('configures WhatsApp Cloud through the API, passes Meta’s GET check, and stores inbound messages and statuses', async () => {
    const { app, account, put, webhookPath } = await whatsAppChannel();
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      provider: 'whatsapp-cloud',
      channelType: 'WHATSAPP',
      senderKey: `whatsapp-cloud:${account.phoneNumberId}`,
      webhookUrl: `${url}${webhookPath}`,
    });
    expect(JSON.stringify(put.body)).not.toContain(account.accessToken);
    expect(JSON.stringify(put.body)).not.toContain(account.appSecret);

    const hooked = await call('PUT', `/sandbox/whatsapp/_control/accounts/${account.phoneNumberId}/webhook`, {
      webhookUrl: `${url}${webhookPath}`,
    });
    expect(hooked.body.verification).toEqual({ verified: true, status: 200 });

    const inbound = await call('POST', '/sandbox/whatsapp/_control/inbound', {
      phoneNumberId: account.phoneNumberId,
      from: '+15550100001',
      profileName: 'Ana',
      text: 'hello herald',
    });
    const wamid = inbound.body.id as string;
    const stored = await eventually(async () => {
      const rows = await inbox(app.appId);
      return rows.find((r) => r.event_id === inboxEventKey(wamid));
    }, 'the inbound message in the inbox');
    expect(stored).toMatchObject({
      channel_id: 'wa',
      sender_key: `whatsapp-cloud:${account.phoneNumberId}`,
      event_type: 'message',
    });
    expect(JSON.parse(stored.payload)).toMatchObject({
      from: '+15550100001',
      profileName: 'Ana',
      content: { kind: 'text', text: 'hello herald' },
    });

    const sent = await call(
      'POST',
      `/sandbox/whatsapp/v23.0/${account.phoneNumberId}/messages`,
      {
        messaging_product: 'whatsapp',
        to: '15550100001',
        type: 'text',
        text: { body: 'hi Ana' },
        biz_opaque_callback_data: 'msg_e2e_1',
      },
      { authorization: `Bearer ${account.accessToken}` },
    );
    const sentId = sent.body.messages[0].id as string;
    const statuses = await eventually(async () => {
      const rows = (await inbox(app.appId)).filter((r) => JSON.parse(r.payload).providerMessageId === sentId);
      return rows.length === 3 ? rows : undefined;
    }, 'three statuses in the inbox');
    // Stored by their digest: a status's event id is its wamid, base64 around the recipient's number.
    expect(statuses.map((r) => r.event_id).sort()).toEqual(
      ['delivered', 'read', 'sent'].map((status) => inboxEventKey(`${sentId}:${status}`)).sort(),
    );
    expect(statuses.every((r) => JSON.parse(r.payload).callbackData === 'msg_e2e_1')).toBe(true);
  });

  it('answers 401 to a webhook without or with a wrong signature, and stores nothing', async () => {
    const { app, account, webhookPath } = await whatsAppChannel();
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: account.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: account.displayPhoneNumber,
                  phone_number_id: account.phoneNumberId,
                },
                messages: [
                  {
                    from: '15550100009',
                    id: 'wamid.FORGED',
                    timestamp: '1763700000',
                    type: 'text',
                    text: { body: 'forged' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const post = (headers: Record<string, string>) =>
      call('POST', webhookPath, body, { 'content-type': 'application/json', ...headers });
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('HERALD_WEBHOOK_SIGNATURE_INVALID');
    const wrongSecret = createHmac('sha256', 'not-the-app-secret').update(body).digest('hex');
    expect((await post({ 'x-hub-signature-256': `sha256=${wrongSecret}` })).status).toBe(401);
    const good = createHmac('sha256', account.appSecret).update(body).digest('hex');
    const tampered = await call('POST', webhookPath, body.replace('forged', 'FORGED'), {
      'content-type': 'application/json',
      'x-hub-signature-256': `sha256=${good}`,
    });
    expect(tampered.status).toBe(401);
    const elsewhere = await call('POST', `/webhooks/${app.appId}/no-such-channel`, body, {
      'content-type': 'application/json',
      'x-hub-signature-256': `sha256=${good}`,
    });
    expect([elsewhere.status, elsewhere.body.error.code, elsewhere.body.error.field]).toEqual([
      404,
      'HERALD_NOT_FOUND',
      'channelId',
    ]);
    expect(await inbox(app.appId)).toEqual([]);

    expect((await post({ 'x-hub-signature-256': `sha256=${good}` })).status).toBe(200);
    expect((await inbox(app.appId)).map((r) => r.event_id)).toEqual([inboxEventKey('wamid.FORGED')]);

    const challenge = await call(
      'GET',
      `${webhookPath}?hub.mode=subscribe&hub.verify_token=${account.verifyToken}&hub.challenge=987654`,
    );
    expect([challenge.status, challenge.body]).toEqual([200, 987654]);
    const refused = await call(
      'GET',
      `${webhookPath}?hub.mode=subscribe&hub.verify_token=nope-nope&hub.challenge=1`,
    );
    expect(refused.status).toBe(403);
  });

  it('answers bad channel input with 400 and credentials Meta refuses with 422', async () => {
    const app = await createTestApp(herald);
    const account = (await call('POST', '/sandbox/whatsapp/_control/accounts', { verify: false })).body;
    const body = (patch: Record<string, unknown>) => ({
      provider: 'whatsapp-cloud',
      sender: { phoneNumberId: account.phoneNumberId },
      credentials: {
        accessToken: account.accessToken,
        appSecret: account.appSecret,
        verifyToken: account.verifyToken,
      },
      options: { baseUrl: `${url}/sandbox/whatsapp` },
      ...patch,
    });
    const badSender = await call(
      'PUT',
      `/v1/apps/${app.appId}/channels/wa`,
      body({ sender: { phoneNumberId: '+1555' } }),
      app.headers,
    );
    expect(badSender.status).toBe(400);
    const extra = await call(
      'PUT',
      `/v1/apps/${app.appId}/channels/wa`,
      body({ options: { baseUrl: `${url}/sandbox/whatsapp`, colour: 'blue' } }),
      app.headers,
    );
    expect(extra.status).toBe(400);
    const rejected = await call(
      'PUT',
      `/v1/apps/${app.appId}/channels/wa`,
      body({
        credentials: {
          accessToken: 'EAAGwrong-token-0000000',
          appSecret: account.appSecret,
          verifyToken: account.verifyToken,
        },
      }),
      app.headers,
    );
    expect(rejected.status).toBe(422);
    expect(rejected.body.error).toMatchObject({
      code: 'HERALD_CHANNEL_CREDENTIALS_REJECTED',
      field: 'credentials',
    });
  });

  it('configures End User Messaging Social: Herald confirms the SNS subscription and stores inbound messages', async () => {
    const app = await createTestApp(herald);
    const phone = (await call('POST', '/sandbox/eum-social/_control/accounts', {})).body;
    const put = await call(
      'PUT',
      `/v1/apps/${app.appId}/channels/wa-aws`,
      {
        provider: 'eum-social',
        sender: {
          originationPhoneNumberId: phone.originationPhoneNumberId,
          metaPhoneNumberId: phone.metaPhoneNumberId,
        },
        credentials: { accessKeyId: phone.accessKeyId, secretAccessKey: phone.secretAccessKey },
        options: { region: phone.region, endpoint: `${url}/sandbox/eum-social`, snsTopicArn: phone.topicArn },
      },
      app.headers,
    );
    expect(put.status).toBe(200);
    const webhookUrl = put.body.webhookUrl as string;
    await eventually(async () => {
      const subscription = await call('POST', '/sandbox/eum-social/_control/subscriptions', {
        topicArn: phone.topicArn,
        endpoint: webhookUrl,
      });
      return subscription.body.confirmed === true ? true : undefined;
    }, 'the SNS subscription confirmed by Herald');

    const inbound = await call('POST', '/sandbox/eum-social/_control/inbound', {
      phoneNumberId: phone.metaPhoneNumberId,
      from: '+15550100002',
      type: 'button_reply',
      replyId: 'yes',
      text: 'Yes',
    });
    const stored = await eventually(
      async () => (await inbox(app.appId)).find((r) => r.event_id === inboxEventKey(inbound.body.id)),
      'the inbound reply in the inbox',
    );
    expect(JSON.parse(stored.payload)).toMatchObject({
      from: '+15550100002',
      content: { kind: 'interactive', replyType: 'button_reply', id: 'yes', title: 'Yes' },
    });
    const before = (await inbox(app.appId)).length;
    const forged = await call('POST', `/webhooks/${app.appId}/wa-aws`, {
      Type: 'Notification',
      MessageId: 'forged-1',
      TopicArn: phone.topicArn,
      Message: JSON.stringify({ whatsAppWebhookEntry: '{"id":"1","changes":[]}' }),
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      Signature: Buffer.from('not a signature').toString('base64'),
      SigningCertURL: `${url}/sandbox/eum-social/_sns/SimpleNotificationService-sandbox.pem`,
    });
    expect([forged.status, forged.body.error.code]).toEqual([401, 'HERALD_WEBHOOK_SIGNATURE_INVALID']);
    const malformed = await call('POST', `/webhooks/${app.appId}/wa-aws`, {
      Type: 'Notification',
      Message: '{}',
    });
    expect(malformed.status).toBe(400);
    expect((await inbox(app.appId)).length).toBe(before);
  });

  it('configures End User Messaging SMS: delivery events carry Herald’s message id, two-way SMS is stored', async () => {
    const app = await createTestApp(herald);
    const account = (await call('POST', '/sandbox/eum-sms/_control/accounts', {})).body;
    const put = await call(
      'PUT',
      `/v1/apps/${app.appId}/channels/sms`,
      {
        provider: 'eum-sms',
        sender: { originationIdentity: account.originationNumber },
        credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
        options: {
          region: account.region,
          endpoint: `${url}/sandbox/eum-sms`,
          configurationSetName: account.configurationSetName,
          snsTopicArn: account.topicArn,
        },
      },
      app.headers,
    );
    expect(put.status).toBe(200);
    await eventually(async () => {
      const subscription = await call('POST', '/sandbox/eum-sms/_control/subscriptions', {
        topicArn: account.topicArn,
        endpoint: put.body.webhookUrl,
      });
      return subscription.body.confirmed === true ? true : undefined;
    }, 'the SNS subscription confirmed by Herald');

    const client = new PinpointSMSVoiceV2Client({
      region: account.region,
      endpoint: `${url}/sandbox/eum-sms`,
      credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
      maxAttempts: 1,
    });
    sdkClients.push(client);
    const sent = await client.send(
      new SendTextMessageCommand({
        DestinationPhoneNumber: '+14255550156',
        OriginationIdentity: account.originationNumber,
        MessageBody: 'Your code is 1234',
        ConfigurationSetName: account.configurationSetName,
        Context: { heraldMessageId: 'msg_sms_e2e' },
      }),
    );
    const events = await eventually(async () => {
      const rows = (await inbox(app.appId)).filter(
        (r) => JSON.parse(r.payload).providerMessageId === sent.MessageId,
      );
      return rows.length === 3 ? rows : undefined;
    }, 'three SMS events in the inbox');
    expect(
      events
        .map((r) => JSON.parse(r.payload))
        .map((e) => [e.status, e.callbackData])
        .sort(),
    ).toEqual([
      // TEXT_PENDING, then TEXT_SUCCESSFUL (not final: the carrier may still fail it), then TEXT_DELIVERED.
      ['delivered', 'msg_sms_e2e'],
      ['sent', 'msg_sms_e2e'],
      ['sent', 'msg_sms_e2e'],
    ]);

    const inbound = await call('POST', '/sandbox/eum-sms/_control/inbound', {
      originationNumber: account.originationNumber,
      from: '+14255550156',
      text: 'STOP',
    });
    const stored = await eventually(
      async () =>
        (await inbox(app.appId)).find((r) => r.event_id === inboxEventKey(inbound.body.inboundMessageId)),
      'the two-way SMS in the inbox',
    );
    expect(JSON.parse(stored.payload)).toMatchObject({
      from: '+14255550156',
      content: { kind: 'text', text: 'STOP' },
    });
  });
});

describeEachDatabase('demo channels for WhatsApp and AWS', (db) => {
  let herald: Herald;
  let url: string;

  beforeEach(async () => {
    herald = await createTestHerald(db(), {
      sandbox: true,
      demo: true,
      env: { HERALD_PORT: String(await freePort()) },
    });
    url = await herald.listen();
  });
  afterEach(() => herald.stop());

  it('gives the demo app whatsapp, whatsapp-aws and sms channels whose users reach its inbox', async () => {
    const demo = herald.demo;
    const sandbox = herald.sandbox;
    if (!demo || !sandbox) throw new Error('no demo app or sandbox');
    expect(demo.channels).toEqual(expect.arrayContaining(['whatsapp', 'whatsapp-aws', 'sms']));
    const listed = await request(`${url}/v1/apps/${demo.appId}/channels`, {
      headers: { authorization: `Bearer ${demo.apiKey}` },
    });
    const channels = (
      (await listed.body.json()) as {
        items: { id: string; provider: string; options: Record<string, unknown> }[];
      }
    ).items;
    const byId = Object.fromEntries(channels.map((c) => [c.id, c]));
    expect(byId.whatsapp).toMatchObject({
      provider: 'whatsapp-cloud',
      options: { baseUrl: `${url}/sandbox/whatsapp` },
    });
    expect(byId['whatsapp-aws']).toMatchObject({
      provider: 'eum-social',
      options: { endpoint: `${url}/sandbox/eum-social` },
    });
    expect(byId.sms).toMatchObject({ provider: 'eum-sms', options: { endpoint: `${url}/sandbox/eum-sms` } });

    await sandbox
      .provider('whatsapp')
      ?.simulateInbound({ account: '106540352242922', user: '+15550100001', text: 'demo hello' });
    await sandbox
      .provider('eum-social')
      ?.simulateInbound({ account: '106540352242923', user: '+15550100001', text: 'demo aws hello' });
    await sandbox
      .provider('eum-sms')
      ?.simulateInbound({ account: '+12065550152', user: '+14255550156', text: 'demo sms hello' });
    const texts = await eventually(
      async () => {
        const rows = await db()
          .db.selectFrom('inbox')
          .select(['channel_id', 'payload'])
          .where('app_id', '=', demo.appId)
          .where('event_type', '=', 'message')
          .execute();
        const found = rows.map((r) => [r.channel_id, JSON.parse(r.payload).content.text]).sort();
        return found.length >= 3 ? found : undefined;
      },
      'the three demo messages',
      10_000,
    );
    expect(texts).toEqual([
      ['sms', 'demo sms hello'],
      ['whatsapp', 'demo hello'],
      ['whatsapp-aws', 'demo aws hello'],
    ]);
  });
});
