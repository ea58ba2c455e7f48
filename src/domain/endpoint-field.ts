import type { Endpoint } from './endpoint.js';

const LOCATION: Readonly<Record<string, keyof Endpoint['location']>> = {
  City: 'city',
  Country: 'country',
  Region: 'region',
  PostalCode: 'postalCode',
  Latitude: 'latitude',
  Longitude: 'longitude',
};

const DEMOGRAPHIC: Readonly<Record<string, keyof Endpoint['demographic']>> = {
  Locale: 'locale',
  Timezone: 'timezone',
  Platform: 'platform',
  PlatformVersion: 'platformVersion',
  Make: 'make',
  Model: 'model',
  ModelVersion: 'modelVersion',
  AppVersion: 'appVersion',
};

const TOP_LEVEL = [
  'Id',
  'Address',
  'ChannelType',
  'EndpointStatus',
  'OptOut',
  'CohortId',
  'EffectiveDate',
  'CreationDate',
] as const;

/**
 * Why `path` is not an endpoint field Herald can read, or undefined when it is. Paths use Pinpoint's names:
 * `Address`, `Id`, `ChannelType`, `CohortId`, `Attributes.<name>`, `Metrics.<name>`, `User.UserId`,
 * `User.UserAttributes.<name>`, `Location.<City|Country|Region|PostalCode|Latitude|Longitude>`,
 * `Demographic.<Locale|Timezone|Platform|PlatformVersion|Make|Model|ModelVersion|AppVersion>`.
 *
 * @example
 * endpointFieldProblem('Attributes.City'); // undefined
 * endpointFieldProblem('Location.Street'); // 'Location has City, Country, ...'
 */
export function endpointFieldProblem(path: string): string | undefined {
  const [head, ...rest] = path.split('.');
  const tail = rest.join('.');
  switch (head) {
    case 'Attributes':
    case 'Metrics':
      return tail.length > 0 && tail.length <= 50 ? undefined : `${head}.<name>: a name of 1-50 characters`;
    case 'User':
      if (tail === 'UserId') return undefined;
      if (tail.startsWith('UserAttributes.') && tail.length > 'UserAttributes.'.length) return undefined;
      return 'User has UserId and UserAttributes.<name>';
    case 'Location':
      return rest.length === 1 && Object.hasOwn(LOCATION, tail)
        ? undefined
        : `Location has ${Object.keys(LOCATION).join(', ')}`;
    case 'Demographic':
      return rest.length === 1 && Object.hasOwn(DEMOGRAPHIC, tail)
        ? undefined
        : `Demographic has ${Object.keys(DEMOGRAPHIC).join(', ')}`;
    default:
      return rest.length === 0 && (TOP_LEVEL as readonly string[]).includes(head ?? '')
        ? undefined
        : `not an endpoint field: use ${TOP_LEVEL.join(', ')}, Attributes.<name>, Metrics.<name>, User.UserId, User.UserAttributes.<name>, Location.<field> or Demographic.<field>`;
  }
}

/**
 * The value of an endpoint field as text, or undefined when the endpoint has none (an empty string or list counts
 * as none, so a default applies). A list attribute gives its values joined with ", ".
 *
 * @example
 * endpointField(endpoint, 'User.UserAttributes.FirstName'); // 'Jane'
 * endpointField(endpoint, 'Attributes.Interests');          // 'Music, Travel'
 */
export function endpointField(endpoint: Endpoint, path: string): string | undefined {
  const [head, ...rest] = path.split('.');
  const tail = rest.join('.');
  let value: unknown;
  switch (head) {
    case 'Id':
      value = endpoint.id;
      break;
    case 'Address':
      value = endpoint.address;
      break;
    case 'ChannelType':
      value = endpoint.channelType;
      break;
    case 'EndpointStatus':
      value = endpoint.endpointStatus;
      break;
    case 'OptOut':
      value = endpoint.optOut;
      break;
    case 'CohortId':
      value = endpoint.cohortId;
      break;
    case 'EffectiveDate':
      value = endpoint.effectiveDate ?? new Date(endpoint.updatedAt).toISOString();
      break;
    case 'CreationDate':
      value = new Date(endpoint.createdAt).toISOString();
      break;
    case 'Attributes':
      value = own(endpoint.attributes, tail);
      break;
    case 'Metrics':
      value = own(endpoint.metrics, tail);
      break;
    case 'User':
      if (tail === 'UserId') value = endpoint.user?.userId;
      else if (tail.startsWith('UserAttributes.') && endpoint.user)
        value = own(endpoint.user.userAttributes, tail.slice('UserAttributes.'.length));
      break;
    case 'Location': {
      const key = own(LOCATION, tail);
      value = key === undefined ? undefined : endpoint.location[key];
      break;
    }
    case 'Demographic': {
      const key = own(DEMOGRAPHIC, tail);
      value = key === undefined ? undefined : endpoint.demographic[key];
      break;
    }
  }
  return asText(value);
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    const parts = value.filter((v): v is string => typeof v === 'string' && v.length > 0);
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  return undefined;
}
