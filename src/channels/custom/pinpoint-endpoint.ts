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

function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
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
    Location: defined({
      City: l.city,
      Country: l.country,
      Latitude: l.latitude,
      Longitude: l.longitude,
      PostalCode: l.postalCode,
      Region: l.region,
    }),
    Demographic: defined({
      AppVersion: d.appVersion,
      Locale: d.locale,
      Make: d.make,
      Model: d.model,
      ModelVersion: d.modelVersion,
      Platform: d.platform,
      PlatformVersion: d.platformVersion,
      Timezone: d.timezone,
    }),
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
