/**
 * Delivery: N WhatsApp messages through Herald's send API (the compiled engine, in a process of its own) to the
 * WhatsApp sandbox (in another) and back through signed status webhooks until every one is `read`. The baseline, measured in the same run against the
 * same sandbox: an undici client posting the same sends straight to the sandbox, whose status webhooks go to a
 * bare receiver. Also measured and noted: the HTTP relay floor, the same two phases as Herald's loop (send requests
 * answered 202 and queued, then posted to the sandbox) with no work between them.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import type { BenchScenario } from '../scenario.js';
import { startBenchHerald } from '../support/bench-herald.js';
import { startEngineProcess } from '../support/engine-process.js';
import { benchNumber, inParallel, startSandboxProcess } from '../support/sandbox-process.js';

const CONCURRENCY = 128;
const TEMPLATE = { name: 'hello_world', language: { code: 'en_US' } };

export const deliveryLoopScenario: BenchScenario = {
  name: 'delivery',
  description:
    'N WhatsApp messages: send API -> sandbox -> signed status webhooks -> read, against raw sends to the same sandbox',
  defaultSize: 20_000,
  async run(ctx) {
    const sandbox = await startSandboxProcess(ctx);
    await sandbox.control('PUT', '/_sandbox/webhooks', {
      minDelayMs: 0,
      maxDelayMs: 1,
      maxAttempts: 20,
      retryBaseMs: 200,
    });
    // Statuses falling due within 10 ms share a webhook, as Meta does under load; the baseline gets the same.
    const settings = { messagesPerSecond: 100_000, pairBurst: 1000, statusGapMs: 1, webhookBatchMs: 10 };

    // Raw: the same sends straight to the sandbox; its webhooks go to a receiver that only answers 200.
    let received = 0;
    let readReceived = 0;
    const receiver = Fastify();
    receiver.removeAllContentTypeParsers();
    receiver.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
    receiver.post('/hook', async (request) => {
      received += 1;
      readReceived += (request.body as Buffer).toString('utf8').split('"status":"read"').length - 1;
      return {};
    });
    // The relay floor: a route that takes the send API's request, parses it, answers 202 and queues it; the
    // queue is then posted to the sandbox as Herald's workers would. Two HTTP exchanges per message and nothing
    // else (no database, no validation): how close to raw any engine on this machine could come.
    let relayQueue: number[] = [];
    receiver.post('/relay/:i', async (request, reply) => {
      JSON.parse((request.body as Buffer).toString('utf8'));
      relayQueue.push(Number((request.params as { i: string }).i));
      reply.code(202);
      return { messageId: 'relay', status: 'queued' };
    });
    const receiverUrl = await receiver.listen({ host: '127.0.0.1', port: 0 });
    ctx.onCleanup(() => receiver.close());
    const raw = await sandbox.control('POST', '/whatsapp/_control/accounts', {
      verify: false,
      webhookUrl: `${receiverUrl}/hook`,
      settings,
    });
    ctx.log(`raw: ${ctx.size} sends straight to the sandbox`);
    // CPU per message (the raw client and its receiver in this process; then Herald's, in its own, and its client's
    // here): the figure other work on the machine disturbs least.
    const sendRaw = async (
      account: { phoneNumberId: string; accessToken: string },
      i: number,
      tag: string,
    ) => {
      const response = await sandbox.pool.request({
        method: 'POST',
        path: `/whatsapp/v23.0/${account.phoneNumberId}/messages`,
        headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          to: benchNumber(i),
          type: 'template',
          template: TEMPLATE,
          biz_opaque_callback_data: `${tag}-${i}`,
        }),
      });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`${tag} send: ${response.statusCode}`);
    };
    const sendApiBody = (i: number) =>
      JSON.stringify({
        channelType: 'WHATSAPP',
        to: benchNumber(i),
        template: { name: 'hello_world', language: 'en_US' },
      });
    const rawCpu = process.cpuUsage();
    const rawStarted = performance.now();
    await inParallel(ctx.size, CONCURRENCY, (i) => sendRaw(raw, i, 'raw'));
    const rawSent = performance.now();
    while (readReceived < ctx.size) await new Promise((r) => setTimeout(r, 20));
    const rawLoop = performance.now();
    const rawCpuUsed = process.cpuUsage(rawCpu);
    const rawCpuUs = (rawCpuUsed.user + rawCpuUsed.system) / ctx.size;
    const rawSendRate = ctx.size / ((rawSent - rawStarted) / 1000);
    const rawLoopRate = ctx.size / ((rawLoop - rawStarted) / 1000);
    ctx.log(
      `raw: ${rawSendRate.toFixed(0)} sends/s, ${rawLoopRate.toFixed(0)}/s to read (${received} webhooks)`,
    );

    const { Pool } = await import('undici');
    const relay = await sandbox.control('POST', '/whatsapp/_control/accounts', {
      verify: false,
      webhookUrl: `${receiverUrl}/hook`,
      settings,
    });
    readReceived = 0;
    const relayClient = new Pool(receiverUrl, { connections: CONCURRENCY });
    ctx.onCleanup(() => relayClient.close());
    const relayStarted = performance.now();
    await inParallel(ctx.size, CONCURRENCY, async (i) => {
      const response = await relayClient.request({
        method: 'POST',
        path: `/relay/${i}`,
        headers: { authorization: 'Bearer relay', 'content-type': 'application/json' },
        body: sendApiBody(i),
      });
      await response.body.dump();
    });
    const queued = relayQueue;
    relayQueue = [];
    await inParallel(queued.length, CONCURRENCY, (k) => sendRaw(relay, queued[k] as number, 'relay'));
    while (readReceived < ctx.size) await new Promise((r) => setTimeout(r, 20));
    const relayLoopRate = ctx.size / ((performance.now() - relayStarted) / 1000);
    ctx.log(
      `relay floor: ${relayLoopRate.toFixed(0)}/s to read (${(relayLoopRate / rawLoopRate).toFixed(2)}x raw)`,
    );

    // Herald: send API -> worker -> sandbox -> webhooks -> inbox -> ledger. The API phase runs first with the
    // workers stopped, so the sandbox's figure is the engine's own send rate (statuses still flow back meanwhile).
    // Set-up (app, channel) through a Herald in this process; the run through the compiled engine in a process of
    // its own, as the sandbox is: the raw baseline's client and server do not share a thread either, and this
    // process's client would otherwise take its CPU from Herald's.
    const bench = await startBenchHerald(ctx, 'delivery');
    const app = await bench.request<{ id: string; apiKey: string }>('POST', '/v1/apps', { name: 'bench' });
    const account = await sandbox.control('POST', '/whatsapp/_control/accounts', { verify: false, settings });
    await bench.request('PUT', `/v1/apps/${app.id}/channels/wa`, {
      provider: 'whatsapp-cloud',
      sender: { phoneNumberId: account.phoneNumberId },
      credentials: {
        accessToken: account.accessToken,
        appSecret: account.appSecret,
        verifyToken: account.verifyToken,
      },
      options: { baseUrl: `${sandbox.url}/whatsapp` },
      limits: { messagesPerSecond: 100_000 },
    });
    const engine = await startEngineProcess(ctx, bench.env);
    await sandbox.control('PUT', `/whatsapp/_control/accounts/${account.phoneNumberId}/webhook`, {
      webhookUrl: `${engine.url}/webhooks/${app.id}/wa`,
      verify: false,
    });
    const api = new Pool(engine.url, { connections: CONCURRENCY });
    ctx.onCleanup(() => api.close());
    const countersBefore = (await sandbox.control('GET', '/_sandbox/counters/totals')).total as number;
    ctx.log(`herald: ${ctx.size} messages through the send API`);
    const engineCpu = async () => (await engine.command<{ micros: number }>('cpu')).micros;
    const clientCpu = process.cpuUsage();
    const engineCpuBefore = await engineCpu();
    const started = performance.now();
    await inParallel(ctx.size, CONCURRENCY, async (i) => {
      const response = await api.request({
        method: 'POST',
        path: `/v1/apps/${app.id}/messages`,
        headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json' },
        body: sendApiBody(i),
      });
      const text = await response.body.text();
      if (response.statusCode !== 202) throw new Error(`send API: ${response.statusCode} ${text}`);
    });
    const apiDone = performance.now();
    const apiCpuUs = ((await engineCpu()) - engineCpuBefore) / ctx.size;
    await engine.command('startWorkers');
    // The probe reads the engine's database through the set-up Herald's connection: one index seek per unfinished
    // status (the (app_id, status) index), not a count of the ledger, so it takes nothing measurable from the
    // engine it watches.
    const { db } = bench.herald.database;
    const unfinished = async () =>
      (await db
        .selectFrom('messages')
        .select('id')
        .where('app_id', '=', app.id)
        .where('status', 'in', ['queued', 'sent_for_delivery', 'sent', 'delivered'])
        .limit(1)
        .executeTakeFirst()) !== undefined;
    let acceptedAt = 0;
    for (;;) {
      if (!acceptedAt) {
        const total = (await sandbox.control('GET', '/_sandbox/counters/totals')).total as number;
        if (total - countersBefore >= ctx.size) acceptedAt = performance.now();
      }
      if (acceptedAt && !(await unfinished())) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const loopDone = performance.now();
    const heraldCpuUs = ((await engineCpu()) - engineCpuBefore) / ctx.size;
    const clientCpuUsed = process.cpuUsage(clientCpu);
    const clientCpuUs = (clientCpuUsed.user + clientCpuUsed.system) / ctx.size;
    await engine.stop();
    const statuses = await db
      .selectFrom('messages')
      .select(['status', sql<number>`count(*)`.as('n')])
      .where('app_id', '=', app.id)
      .groupBy('status')
      .execute();
    const read = Number(statuses.find((s) => s.status === 'read')?.n ?? 0);
    if (read !== ctx.size)
      throw new Error(`herald: ${read} of ${ctx.size} read: ${JSON.stringify(statuses)}`);
    const apiRate = ctx.size / ((apiDone - started) / 1000);
    const acceptedRate = ctx.size / ((acceptedAt - apiDone) / 1000);
    const loopRate = ctx.size / ((loopDone - started) / 1000);
    ctx.log(
      `herald: API ${apiRate.toFixed(0)}/s, then sandbox accepted ${acceptedRate.toFixed(0)}/s; read ${loopRate.toFixed(0)}/s end to end; Herald's CPU ${heraldCpuUs.toFixed(0)} us/msg (send API ${apiCpuUs.toFixed(0)}, engine ${(heraldCpuUs - apiCpuUs).toFixed(0)}); its client's ${clientCpuUs.toFixed(0)}; raw client and receiver ${rawCpuUs.toFixed(0)}`,
    );
    return [
      { name: 'send API accepted', value: apiRate, unit: 'msg/s', better: 'higher' },
      {
        name: 'sandbox accepted from the engine',
        value: acceptedRate,
        unit: 'msg/s',
        better: 'higher',
        ...(ctx.database === 'sqlite' ? { target: 5_000 } : {}),
        baseline: { name: 'raw sends to the sandbox', value: rawSendRate },
      },
      {
        name: 'full loop: send API to read',
        value: loopRate,
        unit: 'msg/s',
        better: 'higher',
        target: rawLoopRate * 0.5,
        baseline: { name: 'raw sends and their webhooks', value: rawLoopRate },
        notes: `target: half the raw loop rate; HTTP relay floor (two exchanges a message, no database) ${relayLoopRate.toFixed(0)}/s = ${(relayLoopRate / rawLoopRate).toFixed(2)}x raw; Herald's CPU per message (its own process) ${heraldCpuUs.toFixed(0)} us (send API phase ${apiCpuUs.toFixed(0)}, engine phase ${(heraldCpuUs - apiCpuUs).toFixed(0)}), its client's ${clientCpuUs.toFixed(0)} us; the raw client and receiver ${rawCpuUs.toFixed(0)} us`,
      },
    ];
  },
};
