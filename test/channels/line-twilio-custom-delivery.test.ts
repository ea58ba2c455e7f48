import { afterEach, beforeEach, expect, it } from 'vitest';
import { eventually, type LiveHerald, liveApp, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

/**
 * The send API through Herald's delivery engine into the LINE, Twilio and custom-channel sandboxes it mounts: each
 * message ends with the status its provider can report. LINE and custom channels report nothing after accepting a
 * message, so `sent` (recorded when the provider accepts it) is their last status; Twilio's callbacks take them to
 * `delivered` or `failed`.
 */
describeEachDatabase('LINE, Twilio and custom channels through the delivery engine', (db) => {
  let live: LiveHerald;
  let app: { appId: string; headers: Record<string, string> };

  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await liveApp(live);
  });
  afterEach(() => live.stop());

  const send = (body: Record<string, unknown>) =>
    live.call('POST', `/v1/apps/${app.appId}/messages`, { headers: app.headers, body });
  const settled = (id: string, statuses: string[]) =>
    eventually(
      async () => {
        const { body } = await live.call('GET', `/v1/apps/${app.appId}/messages/${id}`, {
          headers: app.headers,
        });
        return statuses.includes(body.status) ? body : undefined;
      },
      `message ${id} to reach ${statuses.join(' or ')}`,
    );
  const put = (channelId: string, body: Record<string, unknown>) =>
    live.call('PUT', `/v1/apps/${app.appId}/channels/${channelId}`, { headers: app.headers, body });
  const webhookUrl = (channelId: string) => `${live.url}/webhooks/${app.appId}/${channelId}`;

  it('sends LINE messages as pushes with retry keys, and they end at sent', async () => {
    const { body: channel } = await live.call('POST', '/sandbox/line/_control/channels', {
      body: { webhookUrl: webhookUrl('line') },
    });
    expect(
      (
        await put('line', {
          provider: 'line',
          sender: { channelId: channel.channelId },
          credentials: {
            channelAccessToken: channel.channelAccessToken,
            channelSecret: channel.channelSecret,
          },
          options: { baseUrl: `${live.url}/sandbox/line` },
        })
      ).status,
    ).toBe(200);
    const { body: user } = await live.call(
      'POST',
      `/sandbox/line/_control/channels/${channel.channelId}/follow`,
      {
        body: { displayName: 'Haruto' },
      },
    );

    const text = await send({ channelType: 'LINE', to: user.userId, text: 'Your parcel is on its way' });
    expect(text.status).toBe(202);
    const sticker = await send({
      channelType: 'LINE',
      to: user.userId,
      sticker: { packageId: '446', stickerId: '1988' },
    });
    // What LINE cannot carry is refused before anything is queued, not accepted to fail later.
    const audio = await send({
      channelType: 'LINE',
      to: user.userId,
      media: { type: 'audio', url: 'https://example.com/a.m4a' },
    });
    expect(audio.status).toBe(422);
    expect(audio.body.error).toMatchObject({ code: 'HERALD_CHANNEL_UNSUPPORTED_CONTENT' });
    expect(audio.body.error.message).toContain('durationMs');
    const sentText = await settled(text.body.messageId, ['sent_for_delivery', 'sent', 'failed']);
    const sentSticker = await settled(sticker.body.messageId, ['sent_for_delivery', 'sent', 'failed']);
    expect(sentText).toMatchObject({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^\d+$/),
      error: null,
    });
    expect(sentSticker).toMatchObject({ status: 'sent' });

    const { body: requests } = await live.call(
      'GET',
      `/sandbox/line/_control/channels/${channel.channelId}/requests`,
    );
    const pushes = (
      requests.items as { endpoint: string; retryKey?: string; messages: { type: string }[] }[]
    ).filter((r) => r.endpoint === 'push' || r.endpoint === 'reply');
    expect(pushes.map((r) => r.messages[0]?.type).sort()).toEqual(['sticker', 'text']);
    expect(server(live).counters.totals().duplicates).toBe(0);

    // The follow made an endpoint named by the profile the adapter looked up; the unfollow opts it out.
    const endpoints = async () =>
      (
        await live.call('GET', `/v1/apps/${app.appId}/endpoints?channelType=LINE&address=${user.userId}`, {
          headers: app.headers,
        })
      ).body.items as { optOut: string; user?: { userAttributes: Record<string, string[]> } }[];
    const [followed] = await eventually(
      async () => ((await endpoints()).length > 0 ? endpoints() : undefined),
      'the follower endpoint',
    );
    expect(followed).toMatchObject({ optOut: 'NONE', user: { userAttributes: { displayName: ['Haruto'] } } });
    await live.call('POST', `/sandbox/line/_control/channels/${channel.channelId}/unfollow`, {
      body: { userId: user.userId },
    });
    await eventually(
      async () => ((await endpoints())[0]?.optOut === 'ALL' ? true : undefined),
      'the opt-out',
    );
  });

  it('sends SMS through Twilio and follows its status callbacks to delivered or failed', async () => {
    const { body: account } = await live.call('POST', '/sandbox/twilio/_control/accounts', {
      body: { numbers: [{ phoneNumber: '+15005550006', smsUrl: webhookUrl('sms') }] },
    });
    await live.call('PUT', `/sandbox/twilio/_control/accounts/${account.accountSid}/outcomes`, {
      body: { to: '+14155550124', status: 'undelivered', errorCode: 30003 },
    });
    expect(
      (
        await put('sms', {
          provider: 'twilio',
          sender: { from: '+15005550006' },
          credentials: { accountSid: account.accountSid, authToken: account.authToken },
          options: { baseUrl: `${live.url}/sandbox/twilio` },
        })
      ).status,
    ).toBe(200);

    const ok = await send({ channelType: 'SMS', to: '+14155550123', text: 'Your code is 424242' });
    const lost = await send({ channelType: 'SMS', to: '+14155550124', text: 'Your code is 434343' });
    expect(await settled(ok.body.messageId, ['delivered'])).toMatchObject({
      providerMessageId: expect.stringMatching(/^SM[0-9a-f]{32}$/),
    });
    expect(await settled(lost.body.messageId, ['failed'])).toMatchObject({ error: { code: '30003' } });
  });

  it('delivers to a custom channel’s receiver as Pinpoint’s event, and the message ends at sent', async () => {
    const { body: receiver } = await live.call('POST', '/sandbox/custom/_control/receivers', {
      body: { id: `r-${app.appId}`, authorization: 'Bearer s3cret' },
    });
    expect(
      (
        await put('bridge', {
          provider: 'custom',
          sender: { name: `bridge-${app.appId}` },
          credentials: { headers: { authorization: 'Bearer s3cret' } },
          options: { deliveryUri: receiver.deliveryUri },
        })
      ).status,
    ).toBe(200);
    const sent = await send({ channelType: 'CUSTOM', to: '+16505551281', text: '{"template":"welcome"}' });
    expect(sent.status).toBe(202);
    const message = await settled(sent.body.messageId, ['sent_for_delivery', 'sent', 'failed']);
    // No endpoint: the receiver gets the address as the endpoint's key, the ledger only the ActivityId.
    expect(message).toMatchObject({ status: 'sent', providerMessageId: sent.body.messageId });
    expect(JSON.stringify(message)).not.toContain('6505551281');
    const { body: batches } = await live.call(
      'GET',
      `/sandbox/custom/_control/receivers/${receiver.id}/batches`,
    );
    expect(batches.items).toEqual([
      expect.objectContaining({
        size: 1,
        endpointIds: ['+16505551281'],
        data: '{"template":"welcome"}',
        campaignId: 'direct',
        applicationId: app.appId,
      }),
    ]);
  });
});

function server(live: LiveHerald) {
  const context = live.herald.sandbox?.context;
  if (!context) throw new Error('no sandbox mounted');
  return context;
}
