import { z } from 'zod';
import type { EndpointInput } from '../endpoints/endpoint-input.js';
import { issuePath } from '../zod-issues.js';
import type { RowProblem } from './pinpoint-csv.js';

const lists = z.record(z.string(), z.array(z.string()));
const optionalText = z.string().optional();

/**
 * One line of a Pinpoint JSON import: an endpoint in Pinpoint's PascalCase. The read-only fields of Pinpoint's
 * own endpoint export (`ApplicationId`, `CohortId`, `CreationDate`) are accepted and ignored, so an export file
 * imports as it is; `EndpointStatus` is honoured. Anything else unknown is a row error.
 */
const pinpointEndpoint = z.strictObject({
  Id: optionalText,
  ChannelType: optionalText,
  Address: optionalText,
  EndpointStatus: optionalText,
  OptOut: optionalText,
  EffectiveDate: optionalText,
  RequestId: optionalText,
  Location: z
    .strictObject({
      City: optionalText,
      Country: optionalText,
      Latitude: z.number().optional(),
      Longitude: z.number().optional(),
      PostalCode: optionalText,
      Region: optionalText,
    })
    .optional(),
  Demographic: z
    .strictObject({
      AppVersion: optionalText,
      Locale: optionalText,
      Make: optionalText,
      Model: optionalText,
      ModelVersion: optionalText,
      Platform: optionalText,
      PlatformVersion: optionalText,
      Timezone: optionalText,
    })
    .optional(),
  Attributes: lists.optional(),
  Metrics: z.record(z.string(), z.number()).optional(),
  User: z.strictObject({ UserId: optionalText, UserAttributes: lists.optional() }).optional(),
  ApplicationId: z.unknown().optional(),
  CohortId: z.unknown().optional(),
  CreationDate: z.unknown().optional(),
});

/**
 * Reads one NDJSON line into an endpoint input (its id may be missing: the importer makes one).
 *
 * @example
 * readJsonLine('{"ChannelType":"SMS","Address":"+16505551234","User":{"UserId":"u1"}}');
 * // { input: { channelType: 'SMS', address: '+16505551234', user: { userId: 'u1' } } }
 */
export function readJsonLine(
  line: string,
): { input: Omit<EndpointInput, 'id'> & { id?: string } } | { problems: RowProblem[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return { problems: [{ field: 'line', reason: `not valid JSON: ${(error as Error).message}` }] };
  }
  const result = pinpointEndpoint.safeParse(parsed);
  if (!result.success) {
    return {
      problems: result.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ field: issuePath([...issue.path, key]), reason: 'unknown field' }))
          : [{ field: issuePath(issue.path) || 'line', reason: issue.message }],
      ),
    };
  }
  const e = result.data;
  const location = e.Location && {
    ...(e.Location.City !== undefined ? { city: e.Location.City } : {}),
    ...(e.Location.Country !== undefined ? { country: e.Location.Country } : {}),
    ...(e.Location.Latitude !== undefined ? { latitude: e.Location.Latitude } : {}),
    ...(e.Location.Longitude !== undefined ? { longitude: e.Location.Longitude } : {}),
    ...(e.Location.PostalCode !== undefined ? { postalCode: e.Location.PostalCode } : {}),
    ...(e.Location.Region !== undefined ? { region: e.Location.Region } : {}),
  };
  const d = e.Demographic;
  const demographic = d && {
    ...(d.AppVersion !== undefined ? { appVersion: d.AppVersion } : {}),
    ...(d.Locale !== undefined ? { locale: d.Locale } : {}),
    ...(d.Make !== undefined ? { make: d.Make } : {}),
    ...(d.Model !== undefined ? { model: d.Model } : {}),
    ...(d.ModelVersion !== undefined ? { modelVersion: d.ModelVersion } : {}),
    ...(d.Platform !== undefined ? { platform: d.Platform } : {}),
    ...(d.PlatformVersion !== undefined ? { platformVersion: d.PlatformVersion } : {}),
    ...(d.Timezone !== undefined ? { timezone: d.Timezone } : {}),
  };
  return {
    input: {
      ...(e.Id !== undefined ? { id: e.Id } : {}),
      ...(e.ChannelType !== undefined ? { channelType: e.ChannelType } : {}),
      ...(e.Address !== undefined ? { address: e.Address } : {}),
      ...(e.EndpointStatus !== undefined ? { endpointStatus: e.EndpointStatus } : {}),
      ...(e.OptOut !== undefined ? { optOut: e.OptOut } : {}),
      ...(e.EffectiveDate !== undefined ? { effectiveDate: e.EffectiveDate } : {}),
      ...(e.RequestId !== undefined ? { requestId: e.RequestId } : {}),
      ...(location ? { location } : {}),
      ...(demographic ? { demographic } : {}),
      ...(e.Attributes ? { attributes: e.Attributes } : {}),
      ...(e.Metrics ? { metrics: e.Metrics } : {}),
      ...(e.User
        ? {
            user: {
              ...(e.User.UserId !== undefined ? { userId: e.User.UserId } : {}),
              ...(e.User.UserAttributes ? { userAttributes: e.User.UserAttributes } : {}),
            },
          }
        : {}),
    },
  };
}
