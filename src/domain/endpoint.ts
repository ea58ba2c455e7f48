import type { ChannelType } from './channel-type.js';

/**
 * One address on one channel, with Pinpoint's fields in camelCase so a Pinpoint-compatible API is a mechanical
 * mapping. `attributes` and `user.userAttributes` map a name to a list of strings; `metrics` to a number.
 */
export interface Endpoint {
  readonly appId: string;
  readonly id: string;
  readonly channelType: ChannelType;
  /** E.164 for WHATSAPP and SMS, a LINE user id for LINE, free-form otherwise. */
  readonly address: string;
  /** INACTIVE when another endpoint of the same channel took the address (as in Pinpoint). */
  readonly endpointStatus: 'ACTIVE' | 'INACTIVE';
  /** ALL: the endpoint receives no campaign messages. */
  readonly optOut: 'NONE' | 'ALL';
  readonly effectiveDate?: string;
  readonly requestId?: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly user?: EndpointUser;
  readonly location: EndpointLocation;
  readonly demographic: EndpointDemographic;
  /** "0".."99", a stable function of the id (Pinpoint's CohortId). */
  readonly cohortId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The last inbound message or event from this endpoint (drives `behavior.recency` in segments). */
  readonly lastActiveAt?: number;
}

export interface EndpointUser {
  readonly userId?: string;
  readonly userAttributes: Readonly<Record<string, readonly string[]>>;
}

export interface EndpointLocation {
  readonly country?: string;
  readonly city?: string;
  readonly region?: string;
  readonly postalCode?: string;
  readonly latitude?: number;
  readonly longitude?: number;
}

export interface EndpointDemographic {
  readonly locale?: string;
  readonly timezone?: string;
  readonly platform?: string;
  readonly platformVersion?: string;
  readonly make?: string;
  readonly model?: string;
  readonly modelVersion?: string;
  readonly appVersion?: string;
}

export const LOCATION_FIELDS = ['country', 'city', 'region', 'postalCode', 'latitude', 'longitude'] as const;
export const DEMOGRAPHIC_FIELDS = [
  'locale',
  'timezone',
  'platform',
  'platformVersion',
  'make',
  'model',
  'modelVersion',
  'appVersion',
] as const;
