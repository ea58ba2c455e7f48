/**
 * Webhook ingest: signed WhatsApp status webhooks POSTed to Herald's webhook route (signature checked on the raw
 * bytes, parsed, stored in the inbox before the 200), against a bare fastify route in the same process that only
 * answers 200, with the same client, bodies and concurrency.
 */
import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'undici';
import type { BenchScenario } from '../scenario.js';
import { startBenchHerald } from '../support/bench-herald.js';
import { benchNumber, inParallel } from '../support/sandbox-process.js';

const CONCURRENCY = 64;
const APP_SECRET = 'bench-app-secret-0123456789';

export const webhookIngestScenario: BenchScenario = {
  name: 'webhook-ingest',
  description: "signed WhatsApp status webhooks into Herald's webhook route, against a bare fastify route",
  defaultSize: 30_000,
  async run(ctx) {
    const bodies = Array.from({ length: ctx.size }, (_, i) => {
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
                  statuses: [
                    {
                      // Meta's form: base64 around the recipient's number and a random part.
                      id: `wamid.HBgL${Buffer.from(`${benchNumber(i).slice(1)}\u0015\u0002\u0000\u0012\u0018\u0014${createHmac('sha256', 'bench').update(String(i)).digest('hex').slice(0, 20).toUpperCase()}`).toString('base64')}`,
                      status: 'delivered',
                      timestamp: String(Math.floor(Date.now() / 1000)),
                      recipient_id: benchNumber(i).slice(1),
                    },
                  ],
                },
              },
            ],
          },
        ],
      });
      return { body, signature: `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}` };
    });

    const bare = Fastify();
    bare.removeAllContentTypeParsers();
    bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
    bare.post('/hook', async () => ({}));
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    ctx.onCleanup(() => bare.close());
    const post = async (url: string, path: string) => {
      const pool = new Pool(url, { connections: CONCURRENCY });
      const cpu = process.cpuUsage();
      const started = performance.now();
      await inParallel(bodies.length, CONCURRENCY, async (i) => {
        const { body, signature } = bodies[i]!;
        const response = await pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body,
        });
        await response.body.dump();
        if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode}`);
      });
      const rate = bodies.length / ((performance.now() - started) / 1000);
      const used = process.cpuUsage(cpu);
      await pool.close();
      // Client and server share this process: CPU per request is the figure other work on the machine disturbs least.
      return { rate, cpuUs: (used.user + used.system) / bodies.length };
    };
    const { rate: bareRate, cpuUs: bareCpu } = await post(bareUrl, '/hook');
    ctx.log(`bare route: ${bareRate.toFixed(0)}/s, ${bareCpu.toFixed(0)} us CPU per request`);
    await bare.close();

    const bench = await startBenchHerald(ctx, 'webhook-ingest');
    const app = await bench.request<{ id: string }>('POST', '/v1/apps', { name: 'bench' });
    await bench.request('PUT', `/v1/apps/${app.id}/channels/wa`, {
      provider: 'whatsapp-cloud',
      sender: { phoneNumberId: '106540352242922' },
      credentials: {
        accessToken: 'EAAG-bench-token-0123456789',
        appSecret: APP_SECRET,
        verifyToken: 'bench-verify',
      },
      options: { baseUrl: 'http://127.0.0.1:9' },
      validate: false,
    });
    const { rate: heraldRate, cpuUs: heraldCpu } = await post(bench.url, `/webhooks/${app.id}/wa`);
    ctx.log(`herald webhook route: ${heraldRate.toFixed(0)}/s, ${heraldCpu.toFixed(0)} us CPU per request`);
    return [
      {
        name: 'signed webhooks stored',
        value: heraldRate,
        unit: 'req/s',
        better: 'higher',
        target: bareRate * 0.5,
        baseline: { name: 'bare fastify route', value: bareRate },
        notes: `target: half the bare route; CPU per request (client included) ${heraldCpu.toFixed(0)} us against ${bareCpu.toFixed(0)} us bare (${(bareCpu / heraldCpu).toFixed(2)}x)`,
      },
    ];
  },
};
