import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { withApiClient } from '../with-api-client.js';

interface CampaignView {
  id: string;
  name: string;
  state: string;
  nextRunAt: string | null;
  schedule: { frequency: string };
}

interface ActivityView {
  id: string;
  state: string;
  trigger: string;
  scheduledStart: string;
  fanOutDone: boolean;
  totalEndpoints: number;
  holdout: number;
  skipped: Record<string, number>;
  queued: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: Record<string, number>;
  expired: number;
  cancelled: number;
  error?: { code: string; message: string };
}

export interface CampaignIo {
  readonly api: ApiClient;
  /** Results and summaries. */
  readonly out: NodeJS.WritableStream;
  /** The live progress bar (drawn only on a terminal). */
  readonly progress: NodeJS.WritableStream;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

/**
 * `herald campaigns launch <file.json> --app <appId>`: creates the campaign the file describes (the body of
 * `POST /v1/apps/{appId}/campaigns`) and prints its id, state and next run. Resolves to the campaign id.
 *
 * @example
 * const id = await launchCampaign({ file: 'spring.json', appId }, { api, out: process.stdout, progress: process.stderr });
 */
export async function launchCampaign(
  options: { readonly file: string; readonly appId: string },
  io: CampaignIo,
): Promise<string> {
  let body: unknown;
  try {
    body = JSON.parse(await fs.promises.readFile(options.file, 'utf8'));
  } catch (error) {
    throw new Error(`${options.file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const campaign = await io.api.request<CampaignView>(
    'POST',
    `/v1/apps/${encodeURIComponent(options.appId)}/campaigns`,
    { json: body },
  );
  io.out.write(
    `Campaign ${campaign.id} "${campaign.name}" is ${campaign.state}${campaign.nextRunAt ? `; next run ${campaign.nextRunAt}` : ''}.\n` +
      `Watch it with: herald campaigns watch ${campaign.id} --app ${options.appId}\n`,
  );
  return campaign.id;
}

/**
 * `herald campaigns watch <campaignId> --app <appId>`: follows the campaign's latest run with a live progress bar
 * (queued, sent, delivered, read, failed) until the run is over, then prints its numbers. Resolves to the exit
 * code: 0 when the run completed, 1 when it failed or was cancelled.
 *
 * @example
 * const code = await watchCampaign({ appId, campaignId }, { api, out: process.stdout, progress: process.stderr });
 */
export async function watchCampaign(
  options: { readonly appId: string; readonly campaignId: string },
  io: CampaignIo,
): Promise<number> {
  const base = `/v1/apps/${encodeURIComponent(options.appId)}/campaigns/${encodeURIComponent(options.campaignId)}`;
  const wait = () => (io.sleep ?? sleep)(io.pollMs ?? 1_000);
  const bars = new cliProgress.MultiBar(
    {
      stream: io.progress,
      format: ' {label} [{bar}] {percentage}% | {detail}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const fanOut = bars.create(1, 0, { label: 'fan-out', detail: 'waiting for the run' });
  const delivery = bars.create(1, 0, { label: 'sending', detail: '' });
  let campaign: CampaignView;
  let run: ActivityView | undefined;
  try {
    for (;;) {
      // The run first: a run's end and its campaign's new state commit together, so a campaign read after
      // the run is at least as new, and the summary never shows a finished run beside EXECUTING.
      run = (
        await io.api.request<{ items: ActivityView[] }>('GET', `${base}/activities`, { query: { limit: 1 } })
      ).items[0];
      campaign = await io.api.request<CampaignView>('GET', base);
      if (!run) {
        fanOut.update(0, {
          label: 'fan-out',
          detail: campaign.nextRunAt ? `first run at ${campaign.nextRunAt}` : `campaign ${campaign.state}`,
        });
        if (campaign.state === 'CANCELLED' || campaign.state === 'COMPLETED') break;
        await wait();
        continue;
      }
      const audience = Math.max(1, run.totalEndpoints);
      const skipped = Object.values(run.skipped).reduce((n, v) => n + v, 0);
      fanOut.setTotal(audience);
      fanOut.update(run.totalEndpoints, {
        label: 'fan-out',
        detail: `${run.totalEndpoints} endpoints · ${run.queued} queued · ${skipped} skipped · ${run.holdout} held out${run.fanOutDone ? '' : ' …'}`,
      });
      const failed = Object.values(run.failed).reduce((n, v) => n + v, 0);
      delivery.setTotal(Math.max(1, run.queued));
      delivery.update(run.queued - run.pending, { label: 'sending', detail: counts(run, failed) });
      if (run.state === 'COMPLETED' || run.state === 'CANCELLED') break;
      await wait();
    }
  } finally {
    bars.stop();
  }
  if (!run) {
    io.out.write(`Campaign ${options.campaignId} is ${campaign.state} and has no run.\n`);
    return campaign.state === 'CANCELLED' ? 1 : 0;
  }
  const failed = Object.values(run.failed).reduce((n, v) => n + v, 0);
  const lines = [
    '',
    `Run ${run.id} (${run.trigger}, scheduled ${run.scheduledStart}) ${run.state}${run.error ? `: ${run.error.code} ${run.error.message}` : ''}`,
    `  endpoints ${run.totalEndpoints}, held out ${run.holdout}, ${counts(run, failed)}`,
  ];
  const skipped = Object.entries(run.skipped);
  if (skipped.length > 0)
    lines.push(`  skipped: ${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
  const failures = Object.entries(run.failed);
  if (failures.length > 0) lines.push(`  failed: ${failures.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  lines.push(`Campaign ${campaign.state}${campaign.nextRunAt ? `; next run ${campaign.nextRunAt}` : ''}`);
  io.out.write(`${lines.join('\n')}\n`);
  return run.state === 'COMPLETED' && !run.error ? 0 : 1;
}

function counts(run: ActivityView, failed: number): string {
  return `queued ${run.queued} · sent ${run.sent} · delivered ${run.delivered} · read ${run.read} · failed ${failed}${run.expired ? ` · expired ${run.expired}` : ''}${run.cancelled ? ` · cancelled ${run.cancelled}` : ''}`;
}

export function registerCampaignsCommand(program: Command): void {
  const command = program.command('campaigns').description('launch and watch campaigns on a running Herald');
  command
    .command('launch <file>')
    .description('create the campaign a JSON file describes (the body of POST /v1/apps/{appId}/campaigns)')
    .requiredOption('--app <appId>', 'the app')
    .option('--watch', 'follow its first run with a live progress bar')
    .option('--url <url>', "Herald's base URL (default: HERALD_PUBLIC_URL, or http://host:port)")
    .option('--api-key <key>', "the app's API key (default: HERALD_API_KEY, else the admin token)")
    .action(async (file: string, flags: { app: string; watch?: boolean; url?: string; apiKey?: string }) => {
      await withApiClient(flags, async (io) => {
        const campaignId = await launchCampaign({ file, appId: flags.app }, io);
        if (flags.watch) process.exitCode = await watchCampaign({ appId: flags.app, campaignId }, io);
      });
    });
  command
    .command('watch <campaignId>')
    .description("follow a campaign's latest run: live progress of queued, sent, delivered, read and failed")
    .requiredOption('--app <appId>', 'the app')
    .option('--url <url>', "Herald's base URL (default: HERALD_PUBLIC_URL, or http://host:port)")
    .option('--api-key <key>', "the app's API key (default: HERALD_API_KEY, else the admin token)")
    .action(async (campaignId: string, flags: { app: string; url?: string; apiKey?: string }) => {
      await withApiClient(flags, async (io) => {
        process.exitCode = await watchCampaign({ appId: flags.app, campaignId }, io);
      });
    });
}
