import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import dns from 'node:dns';
import ipaddr from 'ipaddr.js';
import { HeraldError } from '../domain/errors.js';

/**
 * Whether an IP address is on the public internet: not loopback, private (RFC 1918, IPv6 unique local),
 * link-local (cloud metadata services live at 169.254.169.254), carrier-grade NAT, multicast, unspecified or
 * reserved. An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address.
 *
 * @example
 * isPublicAddress('93.184.216.34'); // true
 * isPublicAddress('169.254.169.254'); // false
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

function refused(host: string, address: string): HeraldError {
  return new HeraldError(
    'HERALD_DESTINATION_REFUSED',
    `${host} is not a public address (${address}); HERALD_OUTBOUND_DESTINATIONS=public allows only public ones`,
  );
}

/** The host of a URL or origin without IPv6 brackets. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Throws `HERALD_DESTINATION_REFUSED` when a host is an IP address that is not public. Names are not resolved
 * here: {@link publicOnlyLookup} checks what they resolve to when a connection is made.
 *
 * @example
 * refuseNonPublicLiteral('10.0.0.5'); // throws
 * refuseNonPublicLiteral('graph.facebook.com'); // returns
 */
export function refuseNonPublicLiteral(hostname: string): void {
  const host = bareHost(hostname);
  if (ipaddr.isValid(host) && !isPublicAddress(host)) throw refused(host, host);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect` (and undici's `connect` options) that resolves a name as usual and refuses the
 * connection when any address it resolves to is not public. Checking at connect time, not when a URL is
 * configured, is what stops a name that first resolves to a public address and later to an internal one.
 *
 * @example
 * new Pool(origin, { connect: { lookup: publicOnlyLookup } });
 */
export function publicOnlyLookup(
  hostname: string,
  options: LookupOneOptions | LookupAllOptions,
  callback: LookupCallback,
): void {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, []);
      return;
    }
    const blocked = addresses.find((a) => !isPublicAddress(a.address));
    if (blocked) {
      callback(refused(hostname, blocked.address) as unknown as NodeJS.ErrnoException, []);
      return;
    }
    if (options.all) callback(null, addresses);
    else {
      const first = addresses[0];
      if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    }
  });
}

/**
 * Checks a URL an app configures for Herald to call, when only public destinations are allowed: an internal
 * address written in it is refused at once, as a 400 naming the field (a name is checked again whenever Herald
 * connects). Allows everything when `publicOnly` is false.
 *
 * @example
 * const check = destinationCheck(true);
 * check('http://169.254.169.254/latest', 'url'); // throws HERALD_DESTINATION_REFUSED, field 'url'
 */
export function destinationCheck(publicOnly: boolean): (url: string, field: string) => void {
  if (!publicOnly) return () => {};
  return (url, field) => {
    let hostname: string;
    try {
      hostname = new URL(url).hostname;
    } catch {
      // Not a URL: the field's own schema refuses it, with its own message; nothing here to add.
      return;
    }
    try {
      refuseNonPublicLiteral(hostname);
    } catch (error) {
      if (error instanceof HeraldError)
        throw new HeraldError(error.code, `${field}: ${error.message}`, { field });
      throw error;
    }
  };
}
