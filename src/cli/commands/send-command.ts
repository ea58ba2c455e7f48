import type { Command } from 'commander';
import { createHttpPools } from '../../runtime/undici-http-pools.js';
import { type ApiClient, ApiError, apiTarget, createApiClient } from '../api-client.js';
import { cliConfig } from '../cli-config.js';
import { positiveNumber } from '../option-parsers.js';

const CHANNELS = { whatsapp: 'WHATSAPP', line: 'LINE', sms: 'SMS', custom: 'CUSTOM' } as const;

export interface SendCommandOptions {
  readonly appId: string;
  readonly channel: keyof typeof CHANNELS;
  readonly to: string;
  readonly text?: string;
  readonly template?: {
    readonly name: string;
    readonly language: string;
    readonly parameters: readonly string[];
  };
  readonly channelId?: string;
  /** Print the id and return instead of following the status. */
  readonly noFollow?: boolean;
  readonly timeoutMs?: number;
}

export interface SendCommandIo {
  readonly api: ApiClient;
  readonly out: NodeJS.WritableStream;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly now?: () => number;
}

interface MessageView {
  id: string;
  status: string;
  final: boolean;
  error: { code: string; message: string } | null;
  history: { status: string; at: string; errorCode: string | null }[];
}

/**
 * `herald send`: sends one message through the send API, prints its id, then each status as it happens until the
 * status is final. Resolves to the exit code: 0 when the message got through (sent, delivered or read), 1 when it
 * failed, expired or was cancelled, 2 when the status was still moving after the timeout.
 *
 * @example
 * await sendCommand({ appId, channel: 'whatsapp', to: '+16505551234', text: 'Hi' }, { api, out: process.stdout });
 */
export async function sendCommand(options: SendCommandOptions, io: SendCommandIo): Promise<number> {
  const body = {
    channelType: CHANNELS[options.channel],
    to: options.to,
    ...(options.channelId ? { channelId: options.channelId } : {}),
    ...(options.template
      ? {
          template: {
            name: options.template.name,
            language: options.template.language,
            ...(options.template.parameters.length > 0
              ? { body: options.template.parameters.map((text) => ({ type: 'text', text })) }
              : {}),
          },
        }
      : { text: options.text }),
  };
  const accepted = await io.api.request<{ messageId: string; status: string }>(
    'POST',
    `/v1/apps/${options.appId}/messages`,
    {
      json: body,
    },
  );
  io.out.write(`message ${accepted.messageId}\n`);
  if (options.noFollow) {
    io.out.write(`  ${accepted.status}\n`);
    return 0;
  }
  const now = io.now ?? (() => Date.now());
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = now() + (options.timeoutMs ?? 120_000);
  let printed = 0;
  for (;;) {
    const message = await io.api.request<MessageView>(
      'GET',
      `/v1/apps/${options.appId}/messages/${accepted.messageId}`,
    );
    for (const entry of message.history.slice(printed)) {
      io.out.write(`  ${entry.at}  ${entry.status}${entry.errorCode ? ` (${entry.errorCode})` : ''}\n`);
    }
    printed = message.history.length;
    if (message.final) {
      if (message.error && ['failed', 'expired', 'cancelled'].includes(message.status)) {
        io.out.write(`  ${message.error.code}: ${message.error.message}\n`);
      }
      return ['failed', 'expired', 'cancelled'].includes(message.status) ? 1 : 0;
    }
    if (now() > deadline) {
      io.out.write(
        `  still ${message.status} after ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s; follow it with GET /v1/apps/${options.appId}/messages/${message.id}\n`,
      );
      return 2;
    }
    await sleep(io.pollMs ?? 500);
  }
}

export function registerSendCommand(program: Command): void {
  program
    .command('send')
    .description('send one message through a running Herald and follow its status until it is final')
    .requiredOption('--app <appId>', 'the app')
    .requiredOption('--channel <channel>', 'whatsapp, line, sms or custom')
    .requiredOption('--to <address>', 'E.164 number, LINE user id, or custom address')
    .option('--text <text>', 'a text message')
    .option('--template <name>', 'a WhatsApp template')
    .option('--language <code>', "the template's language", 'en_US')
    .option(
      '--param <value>',
      'a template body parameter, in order (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--channel-id <id>', "one of the app's channels (default: the first of the type)")
    .option('--no-follow', 'print the message id and return')
    .option('--timeout <seconds>', 'stop following after this long', positiveNumber, 120)
    .option('--url <url>', "Herald's base URL (default: HERALD_PUBLIC_URL, or http://host:port)")
    .option('--api-key <key>', "the app's API key (default: HERALD_API_KEY, else the admin token)")
    .action(
      async (flags: {
        app: string;
        channel: string;
        to: string;
        text?: string;
        template?: string;
        language: string;
        param: string[];
        channelId?: string;
        follow: boolean;
        timeout: number;
        url?: string;
        apiKey?: string;
      }) => {
        const channel = flags.channel.toLowerCase();
        if (!(channel in CHANNELS)) throw new Error('--channel is whatsapp, line, sms or custom');
        if ((flags.text === undefined) === (flags.template === undefined))
          throw new Error('give --text or --template');
        const config = cliConfig();
        const pools = createHttpPools({ connections: 2 });
        try {
          process.exitCode = await sendCommand(
            {
              appId: flags.app,
              channel: channel as keyof typeof CHANNELS,
              to: flags.to,
              ...(flags.text !== undefined ? { text: flags.text } : {}),
              ...(flags.template
                ? { template: { name: flags.template, language: flags.language, parameters: flags.param } }
                : {}),
              ...(flags.channelId ? { channelId: flags.channelId } : {}),
              noFollow: !flags.follow,
              timeoutMs: flags.timeout * 1000,
            },
            { api: createApiClient({ ...apiTarget(config, flags), pools }), out: process.stdout },
          );
        } catch (error) {
          if (error instanceof ApiError) {
            process.stderr.write(`herald: ${error.describe()}\n`);
            process.exitCode = 1;
          } else throw error;
        } finally {
          await pools.close();
        }
      },
    );
}
