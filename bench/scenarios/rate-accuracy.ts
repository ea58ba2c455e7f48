/**
 * Rate accuracy: a WhatsApp channel limited to 80 and then 1,000 messages per second, with far more messages
 * queued than that; the sandbox (in a process of its own) counts what it accepts, and the measured rate is compared
 * with the configured one over the steady part of the run (after the first second).
 */
import type { BenchFigure, BenchScenario } from '../scenario.js';
import { startBenchHerald } from '../support/bench-herald.js';
import { benchNumber, startSandboxProcess } from '../support/sandbox-process.js';

const RATES = [80, 1_000] as const;
const SECONDS = 10;

export const rateAccuracyScenario: BenchScenario = {
  name: 'rate-accuracy',
  description:
    'a sender limited to 80 and 1,000 msg/s: the rate the sandbox measures against the configured one',
  defaultSize: SECONDS,
  async run(ctx) {
    const seconds = ctx.size;
    const sandbox = await startSandboxProcess(ctx);
    const figures: BenchFigure[] = [];
    for (const rate of RATES) {
      const bench = await startBenchHerald(ctx, `rate-${rate}`);
      const app = await bench.request<{ id: string }>('POST', '/v1/apps', { name: 'bench' });
      const account = await sandbox.control('POST', '/whatsapp/_control/accounts', {
        verify: false,
        settings: { messagesPerSecond: 100_000, pairBurst: 1000, readReceipts: false },
      });
      await bench.request('PUT', `/v1/apps/${app.id}/channels/wa`, {
        provider: 'whatsapp-cloud',
        sender: { phoneNumberId: account.phoneNumberId },
        credentials: {
          accessToken: account.accessToken,
          appSecret: account.appSecret,
          verifyToken: account.verifyToken,
        },
        options: { baseUrl: `${sandbox.url}/whatsapp` },
        limits: { messagesPerSecond: rate },
      });
      const total = rate * (seconds + 2);
      ctx.log(`${rate}/s: queueing ${total} messages`);
      for (let i = 0; i < total; i += 500) {
        await Promise.all(
          Array.from({ length: Math.min(500, total - i) }, (_, j) =>
            bench.herald.send({
              appId: app.id,
              channelType: 'WHATSAPP',
              to: benchNumber(i + j),
              content: { kind: 'template', name: 'hello_world', language: 'en_US' },
            }),
          ),
        );
      }
      const count = async () => (await sandbox.control('GET', '/_sandbox/counters/totals')).total as number;
      const before = await count();
      bench.herald.startWorkers();
      const samples: { t: number; n: number }[] = [];
      const started = performance.now();
      while (performance.now() - started < (seconds + 1) * 1000) {
        samples.push({ t: performance.now(), n: (await count()) - before });
        await new Promise((r) => setTimeout(r, 100));
      }
      await bench.herald.stop();
      // The steady part: from the first second on, while messages were still queued.
      const steady = samples.filter((s) => s.t - started >= 1000 && s.n < total);
      const first = steady[0];
      const last = steady.at(-1);
      if (!first || !last || last.t === first.t) throw new Error('not enough samples');
      const measured = ((last.n - first.n) / (last.t - first.t)) * 1000;
      const deviation = Math.abs(measured - rate) / rate;
      ctx.log(
        `${rate}/s configured: measured ${measured.toFixed(1)}/s (${(deviation * 100).toFixed(2)}% off)`,
      );
      figures.push({
        name: `rate at ${rate} msg/s: deviation`,
        value: deviation * 100,
        unit: '%',
        better: 'lower',
        target: 2,
        notes: `measured ${measured.toFixed(1)} msg/s over ${((last.t - first.t) / 1000).toFixed(1)} s`,
      });
    }
    return figures;
  },
};
