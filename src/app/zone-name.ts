import { IANAZone, Info } from 'luxon';

/**
 * What each zone text asked about so far reads as. Asking Intl whether a name is an IANA zone builds a formatter
 * (about 60 µs), and an import checks one zone per row while a local-time campaign reads one per endpoint: a
 * million of them spent a minute on the same few hundred names. Bounded, because the names are clients' text.
 */
const seen = new Map<string, string | undefined>();
const SEEN_LIMIT = 10_000;

/**
 * Luxon's name for a zone given as an IANA name (`America/Los_Angeles`) or Pinpoint's offsets (`UTC`, `UTC+01`,
 * `UTC+05:30`, `UTC-11`); undefined when it is neither. Campaigns read their own zone and each endpoint's with it,
 * and endpoint writes accept exactly the zones it reads, so no stored zone is silently replaced by the campaign's.
 *
 * @example
 * zoneName('UTC+05:30'); // 'UTC+5:30'
 * zoneName('Mars/Olympus_Mons'); // undefined
 */
export function zoneName(zone: string | undefined): string | undefined {
  if (zone === undefined || zone.length === 0) return undefined;
  if (seen.has(zone)) return seen.get(zone);
  const name = resolve(zone);
  if (seen.size < SEEN_LIMIT) seen.set(zone, name);
  return name;
}

/** The sentence that says which zones {@link zoneName} reads, for the errors that refuse one. */
export const ZONE_NAME_RULE =
  'an IANA zone (Europe/Paris) or UTC, or an offset from UTC-12 to UTC+14 (UTC+05:30, UTC-11)';

function resolve(zone: string): string | undefined {
  const offset = /^UTC(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/i.exec(zone.trim());
  if (offset) {
    const [, sign, hours, minutes] = offset;
    if (sign === undefined) return 'UTC';
    // Offsets places use: UTC-12 to UTC+14, on the hour, half hour or three quarters (UTC+05:45, UTC+12:45). A
    // local-time campaign starts when the earliest zone reaches its time: UTC+14:30 would send everyone late.
    const total = (Number(hours) * 60 + Number(minutes ?? 0)) * (sign === '-' ? -1 : 1);
    if (total > 14 * 60 || total < -12 * 60 || !['00', '30', '45', undefined].includes(minutes))
      return undefined;
    return `UTC${sign}${Number(hours)}${minutes && minutes !== '00' ? `:${minutes}` : ''}`;
  }
  return IANAZone.isValidZone(zone) && Info.normalizeZone(zone)?.isValid ? zone : undefined;
}
