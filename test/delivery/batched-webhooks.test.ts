import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  eventually,
  type LiveHerald,
  liveApp,
  liveWhatsAppChannel,
  startLiveHerald,
  testNumber,
} from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

/** Meta may put several statuses in one webhook; Herald applies every one. */
describeEachDatabase('statuses batched in one webhook', (db) => {
  let live: LiveHerald;
  beforeEach(async () => {
    live = await startLiveHerald(db());
  });
  afterEach(() => live.stop());

  it('reads every status of a batched webhook', async () => {
    const app = await liveApp(live);
    await liveWhatsAppChannel(live, app, { settings: { webhookBatchMs: 50 } });
    const before = live.herald.sandbox!.context.webhooks.stats.delivered;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const sent = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
        headers: app.headers,
        body: {
          channelType: 'WHATSAPP',
          to: testNumber(i),
          template: { name: 'hello_world', language: 'en_US' },
        },
      });
      ids.push(sent.body.messageId);
    }
    await eventually(async () => {
      const statuses = await Promise.all(
        ids.map(
          async (id) =>
            (await live.call('GET', `/v1/apps/${app.appId}/messages/${id}`, { headers: app.headers })).body
              .status,
        ),
      );
      return statuses.every((s) => s === 'read') || undefined;
    }, 'every message to be read');
    // 60 statuses, far fewer webhooks.
    expect(live.herald.sandbox!.context.webhooks.stats.delivered - before).toBeLessThan(30);
  });
});
