import type { Endpoint } from '../../domain/endpoint.js';

/**
 * An endpoint as Pinpoint puts it in a custom channel's `Endpoints` map (PascalCase).
 *
 * @example
 * const ep: PinpointEndpoint = { ChannelType: 'CUSTOM', Address: '+14155550123', EndpointStatus: 'ACTIVE', OptOut: 'NONE', Location: {},
 *   Demographic: {}, EffectiveDate: '2026-04-01T01:05:17.267Z', Attributes: {}, CreationDate: '2026-04-01T01:05:17.267Z', Metrics: {} };
 */
export interface PinpointEndpoint {
  readonly ChannelType: string;
  readonly Address: string;
  readonly EndpointStatus: 'ACTIVE' | 'INACTIVE';
  readonly OptOut: 'NONE' | 'ALL';
  readonly Location: Readonly<Record<string, string | number>>;
  readonly Demographic: Readonly<Record<string, string>>;
  readonly EffectiveDate: string;
  readonly Attributes: Readonly<Record<string, readonly string[]>>;
  readonly CreationDate: string;
  readonly User?: {
    readonly UserId?: string;
    readonly UserAttributes: Readonly<Record<string, readonly string[]>>;
  };
  readonly Metrics: Readonly<Record<string, number>>;
}

/** Pinpoint's name for each location and demographic field, in the order Pinpoint writes them. */
const LOCATION_FIELDS = [
  ['City', 'city'],
  ['Country', 'country'],
  ['Latitude', 'latitude'],
  ['Longitude', 'longitude'],
  ['PostalCode', 'postalCode'],
  ['Region', 'region'],
] as const;
const DEMOGRAPHIC_FIELDS = [
  ['AppVersion', 'appVersion'],
  ['Locale', 'locale'],
  ['Make', 'make'],
  ['Model', 'model'],
  ['ModelVersion', 'modelVersion'],
  ['Platform', 'platform'],
  ['PlatformVersion', 'platformVersion'],
  ['Timezone', 'timezone'],
] as const;

/** The fields that are set, renamed; a plain loop because a campaign builds one per message. */
function setFields<S extends object, V>(
  source: S,
  fields: readonly (readonly [string, keyof S])[],
): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [to, from] of fields) {
    const value = source[from];
    if (value !== undefined) out[to] = value as V;
  }
  return out;
}

/**
 * Herald's endpoint in Pinpoint's shape, so a function written for Pinpoint reads the same fields: `Location` and
 * `Demographic` carry only what is set, dates are ISO strings, and `User` appears when the endpoint has one.
 *
 * @example
 * pinpointEndpoint(endpoint).Address // '+14155550123'
 */
export function pinpointEndpoint(endpoint: Endpoint): PinpointEndpoint {
  const { location: l, demographic: d, user } = endpoint;
  return {
    ChannelType: endpoint.channelType,
    Address: endpoint.address,
    EndpointStatus: endpoint.endpointStatus,
    OptOut: endpoint.optOut,
    Location: setFields<typeof l, string | number>(l, LOCATION_FIELDS),
    Demographic: setFields<typeof d, string>(d, DEMOGRAPHIC_FIELDS),
    EffectiveDate: endpoint.effectiveDate ?? new Date(endpoint.updatedAt).toISOString(),
    Attributes: endpoint.attributes,
    CreationDate: new Date(endpoint.createdAt).toISOString(),
    ...(user
      ? {
          User: {
            ...(user.userId === undefined ? {} : { UserId: user.userId }),
            UserAttributes: user.userAttributes,
          },
        }
      : {}),
    Metrics: endpoint.metrics,
  };
}
