import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { aWebhookEventFailed, injectInsertFault } from '../helpers/insert-fault.js';
import {
  eventually,
  type LiveHerald,
  liveApp,
  liveWhatsAppChannel,
  startLiveHerald,
} from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

const USER = '+16505551234';

describeEachDatabase('WhatsApp 24-hour window, end to end through the sandbox', (db) => {
  let live: LiveHerald;
  let app: { appId: string; headers: Record<string, string> };
  let wa: Awaited<ReturnType<typeof liveWhatsAppChannel>>;

  beforeEach(async () => {
    live = await startLiveHerald(db());
    app = await liveApp(live);
    wa = await liveWhatsAppChannel(live, app);
    const settings = await live.call('PUT', `/v1/apps/${app.appId}/delivery-settings`, {
      headers: app.headers,
      body: {
        consentTemplate: {
          name: 'consent_request',
          languages: { es: 'es' },
          fallbackLanguage: 'en_US',
          parameters: ['there'],
        },
        expiryNotice: { text: 'Sorry, your earlier messages expired. How can we help?' },
      },
    });
    expect(settings.status).toBe(200);
  });
  afterEach(() => live.stop());

  const message = (id: string) =>
    live.call('GET', `/v1/apps/${app.appId}/messages/${id}`, { headers: app.headers }).then((r) => r.body);
  const sandboxMessages = async (to: string) => {
    const { body } = await live.call(
      'GET',
      `/sandbox/whatsapp/_control/messages?phoneNumberId=${wa.phoneNumberId}`,
    );
    return (
      body.items as { to?: string; recipient?: string; type?: string; body?: Record<string, unknown> }[]
    ).filter((m) => JSON.stringify(m).includes(to.slice(1)));
  };
  const userWrites = (text: string, from = USER) =>
    live.call('POST', '/sandbox/whatsapp/_control/inbound', {
      body: { phoneNumberId: wa.phoneNumberId, from, text },
    });

  it('holds a free-form message, sends the consent template once, and releases the message when the user replies', async () => {
    const first = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'Your order has shipped' },
    });
    expect(first.status).toBe(202);
    expect(first.body.status).toBe('awaiting_window');
    const second = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'It arrives tomorrow' },
    });
    expect(second.body.status).toBe('awaiting_window');

    // One consent template, not two, and nothing free-form yet.
    const consent = await eventually(async () => {
      const { body } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=10`, {
        headers: app.headers,
      });
      return body.items.find(
        (m: { source: string; status: string }) => m.source === 'consent' && m.status === 'read',
      );
    }, 'the consent template to be read');
    expect(consent).toMatchObject({ contentKind: 'template', templateName: 'consent_request' });
    const { body: all } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=10`, {
      headers: app.headers,
    });
    expect(all.items.filter((m: { source: string }) => m.source === 'consent')).toHaveLength(1);
    expect((await message(first.body.messageId)).status).toBe('awaiting_window');

    await userWrites('yes please');

    const released = await eventually(async () => {
      const m = await message(first.body.messageId);
      return m.status === 'read' ? m : undefined;
    }, 'the held message to be read');
    // Held, released, then forward only. Webhooks may overtake each other (a `read` before its `delivered`), so
    // the statuses between queued and read depend on arrival order; they never go back.
    const statuses: string[] = released.history.map((h: { status: string }) => h.status);
    expect(statuses.slice(0, 2)).toEqual(['awaiting_window', 'queued']);
    expect(statuses.at(-1)).toBe('read');
    const rank = ['queued', 'sent_for_delivery', 'sent', 'delivered', 'read'];
    const after = statuses.slice(1).map((x) => rank.indexOf(x));
    expect(after).toEqual([...after].sort((a, b) => a - b));
    await eventually(
      async () => (await message(second.body.messageId)).status === 'read',
      'the second message to be read',
    );

    // In order: the sandbox received the two texts in the order they were sent.
    const texts = (await sandboxMessages(USER)).filter((m) => JSON.stringify(m).includes('"text"'));
    const order = texts
      .map((m) => JSON.stringify(m))
      .map((j) => (j.includes('shipped') ? 1 : j.includes('tomorrow') ? 2 : 0));
    expect(order.filter((n) => n > 0)).toEqual([1, 2]);

    // The window is open now: a new free-form message goes straight out.
    const third = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'Anything else?' },
    });
    expect(third.body.status).toBe('queued');
  });

  it('expires held messages after the hold time and sends the notice when the user writes later', async () => {
    const held = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'A message that will wait too long' },
    });
    expect(held.body.status).toBe('awaiting_window');
    live.clock.advance(2 * 3_600_000 + 1_000);
    const expired = await eventually(
      async () => {
        const m = await message(held.body.messageId);
        return m.status === 'expired' ? m : undefined;
      },
      'the held message to expire',
      15_000,
    );
    expect(expired.history.at(-1).status).toBe('expired');

    await userWrites('hello?');
    const notice = await eventually(async () => {
      const { body } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=10`, {
        headers: app.headers,
      });
      return body.items.find(
        (m: { source: string; status: string }) => m.source === 'notice' && m.status === 'read',
      );
    }, 'the expiry notice to be read');
    expect(notice.contentKind).toBe('text');
    // The expired message itself is never sent.
    expect(JSON.stringify(await sandboxMessages(USER))).not.toContain('wait too long');
  });

  it('sends the owed notice once even when the first attempt fails after the user wrote', async () => {
    const held = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'Another message that will wait too long' },
    });
    live.clock.advance(2 * 3_600_000 + 1_000);
    await eventually(
      async () => ((await message(held.body.messageId)).status === 'expired' ? true : undefined),
      'the held message to expire',
      15_000,
    );
    // The notice cannot be written the first time: the inbound event fails after the window opened.
    const fault = await injectInsertFault(db(), 'messages');
    await userWrites('anyone there?');
    await eventually(() => aWebhookEventFailed(db()), 'a failed attempt');
    await fault.heal();
    const notices = async () => {
      const { body } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=20`, {
        headers: app.headers,
      });
      return body.items.filter((m: { source: string }) => m.source === 'notice');
    };
    await eventually(
      async () => ((await notices()).some((m: { status: string }) => m.status === 'read') ? true : undefined),
      'the notice to be read',
      15_000,
    );
    // Another message from the user owes nothing more.
    await userWrites('hello again');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await notices()).toHaveLength(1);
  });

  it('cancels what waited for a user who writes STOP, and sends them no expiry notice', async () => {
    const endpoint = (id: string, address: string) =>
      live.call('PUT', `/v1/apps/${app.appId}/endpoints/${id}`, {
        headers: app.headers,
        body: { channelType: 'WHATSAPP', address },
      });
    const optedOut = (id: string) =>
      eventually(async () => {
        const { body } = await live.call('GET', `/v1/apps/${app.appId}/endpoints/${id}`, {
          headers: app.headers,
        });
        return body.optOut === 'ALL' ? body : undefined;
      }, `${id} to be opted out`);
    expect((await endpoint('ann', USER)).status).toBe(201);
    const held = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'A promotion that waited' },
    });
    expect(held.body.status).toBe('awaiting_window');
    await userWrites('Stop');
    await optedOut('ann');
    const cancelled = await message(held.body.messageId);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { code: 'HERALD_OPTED_OUT' } });
    expect(cancelled.history.map((h: { status: string }) => h.status)).toEqual([
      'awaiting_window',
      'cancelled',
    ]);

    // Held past the hold time: a STOP gets no notice either.
    const OTHER = '+16505551299';
    expect((await endpoint('bob', OTHER)).status).toBe(201);
    const late = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: OTHER, text: 'Another that waited' },
    });
    live.clock.advance(2 * 3_600_000 + 1_000);
    await eventually(
      async () => (await message(late.body.messageId)).status === 'expired',
      'the held message to expire',
      15_000,
    );
    await userWrites('STOP', OTHER);
    await optedOut('bob');
    const { body: sent } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=50`, {
      headers: app.headers,
    });
    expect(sent.items.filter((m: { source: string }) => m.source === 'notice')).toEqual([]);
    const texts = JSON.stringify([...(await sandboxMessages(USER)), ...(await sandboxMessages(OTHER))]);
    expect(texts).not.toContain('waited');
  });

  it('takes the same path when the provider reports 131047 for a message Herald thought was inside the window', async () => {
    // Herald hears the user write (a signed webhook the sandbox never saw), so it thinks the window is open;
    // the sandbox has no window for this user and fails the text with 131047.
    const from = '16505550199';
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: wa.phoneNumberId },
                contacts: [{ profile: { name: 'Pat' }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: 'wamid.HERALD_ONLY_1',
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: 'text',
                    text: { body: 'hi' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const signature = createHmac('sha256', wa.appSecret).update(body).digest('hex');
    const posted = await fetchLike(`${live.url}${wa.webhookPath}`, body, {
      'x-hub-signature-256': `sha256=${signature}`,
    });
    expect(posted).toBe(200);
    await eventually(
      async () => {
        const { body: list } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=5`, {
          headers: app.headers,
        });
        return list.items.length === 0 ? true : undefined;
      },
      'nothing sent yet',
      2_000,
    );
    await new Promise((r) => setTimeout(r, 300));

    const sent = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: `+${from}`, text: 'Thanks for writing' },
    });
    expect(sent.body.status).toBe('queued');
    const held = await eventually(async () => {
      const m = await message(sent.body.messageId);
      return m.status === 'awaiting_window' ? m : undefined;
    }, 'the message to be held after 131047').catch(async (error) => {
      throw new Error(`${error}: ${JSON.stringify(await message(sent.body.messageId))}`);
    });
    expect(held.error).toMatchObject({ code: '131047' });
    await eventually(async () => {
      const { body: list } = await live.call('GET', `/v1/apps/${app.appId}/messages?limit=10`, {
        headers: app.headers,
      });
      return list.items.find((m: { source: string }) => m.source === 'consent');
    }, 'the consent template after 131047');

    await userWrites('ok', `+${from}`);
    await eventually(
      async () => (await message(sent.body.messageId)).status === 'read',
      'the message to be read after the reply',
    );
  });

  it('refuses a free-form message outside the window when no consent template is configured', async () => {
    await live.call('PUT', `/v1/apps/${app.appId}/delivery-settings`, { headers: app.headers, body: {} });
    const refused = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, text: 'hello' },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('HERALD_CONSENT_TEMPLATE_MISSING');
    const template = await live.call('POST', `/v1/apps/${app.appId}/messages`, {
      headers: app.headers,
      body: { channelType: 'WHATSAPP', to: USER, template: { name: 'hello_world', language: 'en_US' } },
    });
    expect(template.body.status).toBe('queued');
    await eventually(
      async () => (await message(template.body.messageId)).status === 'read',
      'the template to be read',
    );
  });
});

async function fetchLike(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const { request } = await import('undici');
  const response = await request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  await response.body.dump();
  return response.statusCode;
}
