import { InvalidArgumentError } from 'commander';
import { CHANNEL_TYPES, type ChannelType } from '../domain/channel-type.js';

/**
 * Commander argument parsers: a bad flag value is refused by name, before the command runs (`--timeout abc` became
 * NaN and followed forever; `--port abc` failed deep in Node).
 *
 * @example
 * program.option('--timeout <seconds>', 'stop following after this long', positiveNumber, 120);
 */
export function positiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError('a number greater than 0');
  return number;
}

/** A TCP port, 0 (any free port) to 65535. */
export function port(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number > 65_535) throw new InvalidArgumentError('a port, 0 to 65535');
  return number;
}

/** A whole number (a seed). */
export function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('a whole number');
  return Number(value);
}

/** An http(s) URL. */
export function httpUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/$/, '');
  } catch {
    // refused below
  }
  throw new InvalidArgumentError('an http:// or https:// URL');
}

/** A channel type, in any case (`sms` is SMS). */
export function channelType(value: string): ChannelType {
  const upper = value.trim().toUpperCase();
  const found = CHANNEL_TYPES.find((t) => t === upper);
  if (found === undefined) throw new InvalidArgumentError(`one of ${CHANNEL_TYPES.join(', ')}`);
  return found;
}
