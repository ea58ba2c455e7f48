import fs from 'node:fs';
import readline from 'node:readline';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { ChannelType } from '../../domain/channel-type.js';
import { ApiError } from '../api-client.js';
import { channelType } from '../option-parsers.js';
import { type ApiCommandIo, withApiClient } from '../with-api-client.js';

/** What the API takes in one request. */
const BATCH_SIZE = 1_000;

/**
 * What `herald opt-outs add|remove|check` was asked: the addresses on the command line, and those of a file.
 *
 * @example
 * { appId: '01jd...', channelType: 'SMS', addresses: ['+16505551234'], file: 'suppression-list.txt' }
 */
export interface OptOutsOptions {
  readonly appId: string;
  readonly channelType: ChannelType;
  readonly addresses: readonly string[];
  /** One address a line; blank lines are skipped. */
  readonly file?: string;
}

/** Where the command talks and writes (the progress bar is a file's). */
export type OptOutsIo = ApiCommandIo;

/** An address and where it came from, for the report of those Herald refused. */
interface Sourced {
  readonly address: string;
  /** `line 12` of the file, or `argument 2`. */
  readonly origin: string;
}

interface Rejected extends Sourced {
  readonly reason: string;
}

/**
 * `herald opt-outs add`: puts the addresses on the app's opt-out list (`POST /v1/apps/{appId}/opt-outs`, 1,000 at
 * a time), which opts out their endpoints, and prints the counts. Loading a Pinpoint or End User Messaging
 * suppression list is `add --file`. Resolves to the exit code: 0, or 1 when Herald refused some addresses (the
 * others are added; the refused ones are listed with their line).
 *
 * @example
 * const code = await addOptOuts({ appId, channelType: 'SMS', addresses: [], file: 'opted-out.txt' }, io);
 */
export async function addOptOuts(options: OptOutsOptions, io: OptOutsIo): Promise<number> {
  const totals = { added: 0, alreadyListed: 0, endpointsOptedOut: 0 };
  const { sent, rejected } = await inBatches(options, io, 'opt-outs', (answer: typeof totals) => {
    totals.added += answer.added;
    totals.alreadyListed += answer.alreadyListed;
    totals.endpointsOptedOut += answer.endpointsOptedOut;
  });
  io.out.write(
    `Opted out ${plural(sent, 'address', 'addresses')} on ${options.channelType}: ${totals.added} added to the list, ${totals.alreadyListed} already on it; ${plural(totals.endpointsOptedOut, 'endpoint')} opted out.\n`,
  );
  return report(rejected, io);
}

/**
 * `herald opt-outs remove`: takes the addresses off the app's opt-out list (`POST .../opt-outs/remove`), which
 * opts their endpoints back in as a START would, and prints the counts. Exit code as `addOptOuts`.
 *
 * @example
 * const code = await removeOptOuts({ appId, channelType: 'SMS', addresses: ['+16505551234'] }, io);
 */
export async function removeOptOuts(options: OptOutsOptions, io: OptOutsIo): Promise<number> {
  const totals = { removed: 0, notListed: 0, endpointsOptedIn: 0 };
  const { sent, rejected } = await inBatches(options, io, 'opt-outs/remove', (answer: typeof totals) => {
    totals.removed += answer.removed;
    totals.notListed += answer.notListed;
    totals.endpointsOptedIn += answer.endpointsOptedIn;
  });
  io.out.write(
    `Took ${plural(sent, 'address', 'addresses')} off the ${options.channelType} opt-out list: ${totals.removed} were on it, ${totals.notListed} were not; ${plural(totals.endpointsOptedIn, 'endpoint')} opted back in.\n`,
  );
  return report(rejected, io);
}

/**
 * `herald opt-outs check`: prints, for each address in canonical form, whether it is on the app's opt-out list and
 * since when (`POST .../opt-outs/lookup`). Exit code as `addOptOuts`, whatever the answers.
 *
 * @example
 * await checkOptOuts({ appId, channelType: 'SMS', addresses: ['+1 650 555 1234'] }, io);
 * // +16505551234  opted out since 2026-11-21T10:00:00.000Z
 */
export async function checkOptOuts(options: OptOutsOptions, io: OptOutsIo): Promise<number> {
  const { rejected } = await inBatches(
    options,
    io,
    'opt-outs/lookup',
    (answer: { items: { address: string; optedOut: boolean; optedOutAt?: string }[] }) => {
      for (const item of answer.items) {
        io.out.write(
          `${item.address}  ${item.optedOut ? `opted out since ${item.optedOutAt ?? '?'}` : 'not opted out'}\n`,
        );
      }
    },
  );
  return report(rejected, io);
}

/**
 * `herald opt-outs list`: how many addresses the app's opt-out list holds per channel type, and the latest time one
 * was added (`GET /v1/apps/{appId}/opt-outs`). The list keeps hashes, so counts are all it can show.
 *
 * @example
 * await listOptOuts('01jd...', io); // "SMS  2,400 addresses, the latest on 2026-11-22T06:44:42.153Z"
 */
export async function listOptOuts(appId: string, io: OptOutsIo): Promise<number> {
  const { items } = await io.api.request<{
    items: { channelType: string; count: number; lastOptedOutAt: string }[];
  }>('GET', `/v1/apps/${encodeURIComponent(appId)}/opt-outs`);
  if (items.length === 0) io.out.write('The opt-out list is empty.\n');
  const width = Math.max(0, ...items.map((i) => i.channelType.length));
  for (const item of items) {
    io.out.write(
      `${item.channelType.padEnd(width)}  ${item.count.toLocaleString('en-US')} ${item.count === 1 ? 'address' : 'addresses'}, the latest on ${item.lastOptedOutAt}\n`,
    );
  }
  return 0;
}

/**
 * Sends the addresses in batches the API takes. A batch Herald refuses for some of its addresses (it writes
 * nothing then) is sent again without them, so one bad line in a long list costs that line only.
 */
async function inBatches<T>(
  options: OptOutsOptions,
  io: OptOutsIo,
  path: string,
  onAnswer: (answer: T) => void,
): Promise<{ sent: number; rejected: Rejected[] }> {
  const rejected: Rejected[] = [];
  let sent = 0;
  const send = async (batch: readonly Sourced[]) => {
    let left = batch;
    while (left.length > 0) {
      try {
        onAnswer(
          await io.api.request<T>('POST', `/v1/apps/${encodeURIComponent(options.appId)}/${path}`, {
            json: { channelType: options.channelType, addresses: left.map((s) => s.address) },
          }),
        );
        sent += left.length;
        return;
      } catch (error) {
        const refused = refusedAddresses(error, left.length);
        if (refused === undefined) throw error;
        for (const [index, reason] of refused) rejected.push({ ...(left[index] as Sourced), reason });
        left = left.filter((_, index) => !refused.has(index));
      }
    }
  };

  const fromArguments = options.addresses.map((address, i) => ({ address, origin: `argument ${i + 1}` }));
  for (let start = 0; start < fromArguments.length; start += BATCH_SIZE)
    await send(fromArguments.slice(start, start + BATCH_SIZE));
  if (options.file !== undefined) await sendFile(options.file, io, send, () => rejected.length);
  return { sent, rejected };
}

/** The file's addresses, a batch at a time, with a progress bar by bytes read. */
async function sendFile(
  file: string,
  io: OptOutsIo,
  send: (batch: readonly Sourced[]) => Promise<void>,
  rejectedCount: () => number,
): Promise<void> {
  const size = (await fs.promises.stat(file)).size;
  const bar = new cliProgress.SingleBar(
    { stream: io.progress, format: ' {label} [{bar}] {percentage}% | {detail}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, size), 0, { label: 'addresses', detail: '0 sent' });
  let bytes = 0;
  let count = 0;
  let batch: Sourced[] = [];
  const flush = async () => {
    await send(batch);
    count += batch.length;
    batch = [];
    bar.update(Math.min(bytes, size), {
      label: 'addresses',
      detail: `${count} sent, ${rejectedCount()} refused`,
    });
  };
  try {
    const lines = readline.createInterface({
      input: fs.createReadStream(file, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let number = 0;
    for await (const line of lines) {
      number += 1;
      bytes += Buffer.byteLength(line) + 1;
      const address = (number === 1 ? line.replace(/^\uFEFF/, '') : line).trim();
      if (address === '') continue;
      batch.push({ address, origin: `line ${number}` });
      if (batch.length === BATCH_SIZE) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    bar.stop();
  }
}

/**
 * The indexes (in a batch of `size`) of the addresses Herald refused, with why, when that is all it refused;
 * undefined for any other error. `HERALD_INVALID_ADDRESS` gives each index; a shape problem of one item (longer than
 * 256 characters) names it as `addresses[i]`.
 */
function refusedAddresses(error: unknown, size: number): Map<number, string> | undefined {
  if (!(error instanceof ApiError) || error.status !== 400) return undefined;
  const refused = new Map<number, string>();
  for (const detail of error.details) {
    const index = detail.index ?? Number(/^addresses\[(\d+)\]$/.exec(detail.field ?? '')?.[1] ?? Number.NaN);
    if (!Number.isInteger(index) || index < 0 || index >= size) return undefined;
    refused.set(index, detail.reason);
  }
  return refused.size > 0 ? refused : undefined;
}

function report(rejected: readonly Rejected[], io: OptOutsIo): number {
  if (rejected.length === 0) return 0;
  const lines = [`Herald refused ${plural(rejected.length, 'address', 'addresses')}:`];
  for (const r of rejected.slice(0, 20)) lines.push(`  ${r.origin}: ${r.reason}`);
  if (rejected.length > 20) lines.push(`  ... ${rejected.length - 20} more`);
  io.out.write(`${lines.join('\n')}\n`);
  return 1;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function registerOptOutsCommand(program: Command): void {
  const command = program
    .command('opt-outs')
    .description(
      "the app's opt-out list in a running Herald (it keeps hashes: it can be checked, not listed)",
    );
  const subcommands = [
    {
      name: 'add',
      description:
        'put addresses on the opt-out list and opt out their endpoints (--file loads a Pinpoint or End User Messaging suppression list)',
      run: addOptOuts,
    },
    {
      name: 'remove',
      description:
        'take addresses off the opt-out list and opt their endpoints back in (as a START keyword does)',
      run: removeOptOuts,
    },
    {
      name: 'check',
      description: 'say whether each address is on the opt-out list, and since when',
      run: checkOptOuts,
    },
  ];
  command
    .command('list')
    .description('count the addresses on the opt-out list by channel type')
    .requiredOption('--app <appId>', 'the app')
    .option('--url <url>', "Herald's base URL (default: HERALD_PUBLIC_URL, or http://host:port)")
    .option('--api-key <key>', "the app's API key (default: HERALD_API_KEY, else the admin token)")
    .action(async (flags: { app: string; url?: string; apiKey?: string }) => {
      process.exitCode = await withApiClient(flags, (io) => listOptOuts(flags.app, io));
    });
  for (const { name, description, run } of subcommands) {
    command
      .command(`${name} [addresses...]`)
      .description(description)
      .requiredOption('--app <appId>', 'the app')
      .requiredOption('--channel-type <type>', 'SMS, WHATSAPP, LINE, CUSTOM, ...', channelType)
      .option('--file <path>', 'a file of addresses, one a line, sent 1,000 at a time')
      .option('--url <url>', "Herald's base URL (default: HERALD_PUBLIC_URL, or http://host:port)")
      .option('--api-key <key>', "the app's API key (default: HERALD_API_KEY, else the admin token)")
      .action(
        async (
          addresses: string[],
          flags: { app: string; channelType: ChannelType; file?: string; url?: string; apiKey?: string },
        ) => {
          if (addresses.length === 0 && flags.file === undefined)
            throw new Error('give addresses, or --file with one address a line');
          process.exitCode = await withApiClient(flags, (io) =>
            run(
              {
                appId: flags.app,
                channelType: flags.channelType,
                addresses,
                ...(flags.file !== undefined ? { file: flags.file } : {}),
              },
              io,
            ),
          );
        },
      );
  }
}
