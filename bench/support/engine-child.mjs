// The engine of a benchmark in a process of its own, running the compiled code (`npm run build`) under plain
// Node, so its memory is Herald's alone: not the benchmark driver's, not tsx's. Plain JavaScript because it
// imports `dist/`, which the typecheck does not see. Driven over IPC by `engine-process.ts`:
//   -> { cmd: 'fanOut' }       runs the due campaign runs' fan-out to the end, answers { seconds, cpuSeconds, pages }
//   -> { cmd: 'startWorkers' } starts the senders and the campaign runner
//   -> { cmd: 'memory' }       answers { rssMb, peakMb } (peak since the last { cmd: 'resetPeak' })
//   -> { cmd: 'cpu' }          answers { micros }: the process's CPU time so far (user + system)
//   -> { cmd: 'stop' }         stops Herald and exits
// and sends { ready: true, url } once listening. Configuration comes from the HERALD_* environment.
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../../dist/config/load-config.js';
import { createHerald } from '../../dist/main.js';
import { createLogger } from '../../dist/runtime/create-logger.js';

const config = loadConfig({ env: process.env, cwd: process.cwd(), fs });
const herald = await createHerald({ config, logger: createLogger({ level: config.logLevel }) });
const url = await herald.listen();

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const mb = (bytes) => bytes / 1_048_576;

// HERALD_BENCH_ALLOC_PROFILE=<file.heapprofile>: every allocation sampled from the start of the sending to the stop,
// garbage included (what `--heap-prof` leaves out), for where the engine's garbage comes from.
const allocProfile = process.env.HERALD_BENCH_ALLOC_PROFILE;
// HERALD_BENCH_ALLOC_PHASE=fanOut samples the fan-out instead.
const inspector = allocProfile ? new Session() : undefined;
inspector?.connect();
const writeProfile = async () => {
  if (!inspector) return;
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  fs.writeFileSync(allocProfile, JSON.stringify(profile));
};
const startSampling = () =>
  inspector?.post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    // HERALD_BENCH_ALLOC_PROMOTED=1: leave out what died young, so what remains is what lived long enough to be
    // promoted (the old generation's garbage that grows the heap) and what is still live.
    includeObjectsCollectedByMinorGC: process.env.HERALD_BENCH_ALLOC_PROMOTED !== '1',
  });

const commands = {
  async fanOut() {
    if (process.env.HERALD_BENCH_ALLOC_PHASE === 'fanOut') await startSampling();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await herald.campaignRunner.startDueRuns();
    let pages = 0;
    for (;;) {
      const done = await herald.campaignRunner.fanOut();
      if (done === 0) break;
      pages += done;
    }
    const used = process.cpuUsage(cpu);
    if (process.env.HERALD_BENCH_ALLOC_PHASE === 'fanOut') await writeProfile();
    return {
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      pages,
    };
  },
  async startWorkers() {
    if (process.env.HERALD_BENCH_ALLOC_PHASE !== 'fanOut') await startSampling();
    herald.startWorkers();
    return {};
  },
  async memory() {
    peak = Math.max(peak, process.memoryUsage().rss);
    // With HERALD_BENCH_ENGINE_FLAGS=--expose-gc: what is live, not what V8 has not collected yet.
    globalThis.gc?.();
    const usage = process.memoryUsage();
    return {
      rssMb: mb(usage.rss),
      peakMb: mb(peak),
      heapUsedMb: mb(usage.heapUsed),
      heapTotalMb: mb(usage.heapTotal),
      externalMb: mb(usage.external),
    };
  },
  async cpu() {
    const used = process.cpuUsage();
    return { micros: used.user + used.system };
  },
  async resetPeak() {
    peak = process.memoryUsage().rss;
    return { rssMb: mb(peak) };
  },
  async stop() {
    clearInterval(sampler);
    if (process.env.HERALD_BENCH_ALLOC_PHASE !== 'fanOut') await writeProfile();
    await herald.stop();
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async ({ id, cmd }) => {
  try {
    const command = commands[cmd];
    if (!command) throw new Error(`unknown command ${cmd}`);
    process.send({ id, ok: true, result: await command() });
  } catch (error) {
    process.send({ id, ok: false, error: error instanceof Error ? error.stack : String(error) });
  }
});
process.send({ ready: true, url });
