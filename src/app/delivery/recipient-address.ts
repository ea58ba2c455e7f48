import type { ChannelType } from '../../domain/channel-type.js';
import { HeraldError } from '../../domain/errors.js';
import { e164PhoneNumber } from './valid-phone-number.js';

const LINE_USER_ID = /^U[0-9a-f]{32}$/;

/**
 * A recipient address as Herald keeps it: E.164 for phone channels, the LINE user id as is. Throws
 * HERALD_INVALID_ADDRESS naming `field`.
 *
 * @example
 * canonicalAddress('WHATSAPP', '+1 (650) 555-1234', 'to'); // '+16505551234'
 */
export function canonicalAddress(channelType: ChannelType, address: string, field: string): string {
  const trimmed = address.trim();
  switch (channelType) {
    case 'WHATSAPP':
    case 'SMS':
    case 'VOICE': {
      const phone = e164PhoneNumber(trimmed);
      if (phone === undefined) {
        throw new HeraldError(
          'HERALD_INVALID_ADDRESS',
          `${field}: "${mask(trimmed)}" is not a valid phone number in international format`,
          {
            field,
          },
        );
      }
      return phone;
    }
    case 'LINE':
      if (!LINE_USER_ID.test(trimmed)) {
        throw new HeraldError(
          'HERALD_INVALID_ADDRESS',
          `${field}: a LINE address is a user id: U followed by 32 hex digits`,
          { field },
        );
      }
      return trimmed;
    default:
      if (trimmed.length === 0 || trimmed.length > 256) {
        throw new HeraldError('HERALD_INVALID_ADDRESS', `${field}: must be 1-256 characters`, { field });
      }
      return trimmed;
  }
}

/**
 * The canonical form of an address a provider reported (WhatsApp sends `16505551234` without the plus). Lenient:
 * a provider's address is trusted, only its format is aligned.
 */
export function canonicalInboundAddress(channelType: ChannelType, address: string): string {
  if (channelType === 'WHATSAPP' || channelType === 'SMS' || channelType === 'VOICE') {
    const digits = address.replace(/^whatsapp:/, '').replace(/[^\d+]/g, '');
    return digits.startsWith('+') ? digits : `+${digits}`;
  }
  return address;
}

/** Enough of an address to recognise it in an error message, not enough to contact anyone. */
function mask(address: string): string {
  return address.length <= 4 ? '****' : `${address.slice(0, 3)}…${address.slice(-2)}`;
}
