import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createApiClient } from '../../src/cli/api-client.js';
import { sendCommand } from '../../src/cli/commands/send-command.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { type LiveHerald, liveApp, liveWhatsAppChannel, startLiveHerald } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';

describeEachDatabase('herald send', (db) => {
  let live: LiveHerald;
  const pools = createHttpPools();
  beforeEach(async () => {
    live = await startLiveHerald(db());
  });
  afterEach(() => live.stop());

  function output() {
    let text = '';
    const out = new Writable({
      write(chunk, _e, done) {
        text += String(chunk);
        done();
      },
    });
    return { out, text: () => text };
  }

  it('prints the id and follows the status until it is final', async () => {
    const app = await liveApp(live);
    await liveWhatsAppChannel(live, app);
    const api = createApiClient({
      baseUrl: live.url,
      credential: app.headers.authorization!.slice(7),
      pools,
    });
    const { out, text } = output();
    const code = await sendCommand(
      {
        appId: app.appId,
        channel: 'whatsapp',
        to: '+16505551234',
        template: { name: 'hello_world', language: 'en_US', parameters: [] },
      },
      { api, out, pollMs: 50 },
    );
    expect(code).toBe(0);
    expect(text()).toMatch(/^message [0-9a-z]{26}\n/);
    expect(text()).toContain(' queued\n');
    expect(text()).toMatch(/ read\n$/);
  });

  it('exits 1 with the provider code when the message fails', async () => {
    const app = await liveApp(live);
    await liveWhatsAppChannel(live, app);
    const api = createApiClient({
      baseUrl: live.url,
      credential: app.headers.authorization!.slice(7),
      pools,
    });
    const { out, text } = output();
    const code = await sendCommand(
      {
        appId: app.appId,
        channel: 'whatsapp',
        to: '+16505551234',
        template: { name: 'no_such_template', language: 'en_US', parameters: [] },
      },
      { api, out, pollMs: 50 },
    );
    expect(code).toBe(1);
    expect(text()).toContain('failed (132001)');
  });
});
