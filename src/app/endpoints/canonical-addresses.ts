import type { ChannelType } from '../../domain/channel-type.js';
import { type ErrorDetail, HeraldError } from '../../domain/errors.js';
import { canonicalAddress } from '../delivery/recipient-address.js';

/**
 * The addresses of a request in canonical form (`canonicalAddress`), checked as a whole: any bad one is a
 * HERALD_INVALID_ADDRESS naming the first (`addresses[3]`), with every bad one in `details`, so the caller can fix
 * them all at once and nothing is written.
 *
 * @example
 * canonicalAddresses('SMS', ['+1 650 555 1234', '16505551235']); // ['+16505551234', '+16505551235']
 * canonicalAddresses('SMS', ['+16505551234', 'oops']); // throws HERALD_INVALID_ADDRESS, field 'addresses[1]'
 */
export function canonicalAddresses(
  channelType: ChannelType,
  addresses: readonly string[],
  field = 'addresses',
): string[] {
  const canonical: string[] = [];
  const details: ErrorDetail[] = [];
  addresses.forEach((address, index) => {
    const at = `${field}[${index}]`;
    try {
      canonical.push(canonicalAddress(channelType, address, at));
    } catch (error) {
      if (!(error instanceof HeraldError)) throw error;
      const prefix = `${at}: `;
      const reason = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      details.push({ index, field: at, reason });
    }
  });
  const first = details[0];
  if (first) {
    const more =
      details.length > 1 ? ` (and ${details.length - 1} more address${details.length > 2 ? 'es' : ''})` : '';
    throw new HeraldError('HERALD_INVALID_ADDRESS', `${first.field}: ${first.reason}${more}`, {
      field: first.field as string,
      details,
    });
  }
  return canonical;
}
