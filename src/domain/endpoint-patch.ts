import type { ChannelType } from './channel-type.js';
import { cohortIdOf } from './cohort-id.js';
import {
  DEMOGRAPHIC_FIELDS,
  type Endpoint,
  type EndpointDemographic,
  type EndpointLocation,
  LOCATION_FIELDS,
} from './endpoint.js';

type Nullable<T> = { readonly [K in keyof T]?: T[K] | null };

/**
 * A write to one endpoint, already validated and normalised (addresses in E.164...). Pinpoint UpdateEndpoint
 * semantics, made precise:
 * - top-level fields given (`channelType`, `address`, `optOut`, `effectiveDate`, `requestId`) replace the stored ones;
 * - `location` and `demographic` merge field by field: a field given replaces, `null` clears it, a field left out
 *   keeps its value;
 * - `attributes`, `metrics` and `user.userAttributes` merge name by name: a name given replaces all of that name's
 *   values, an empty list (or `null` for a metric) removes the name, names left out are kept;
 * - `user.userId` given replaces, `null` detaches the endpoint from its user;
 * - every write makes the endpoint ACTIVE (it takes its address back from any other endpoint of the channel)
 *   unless `endpointStatus: 'INACTIVE'` is given.
 *
 * @example
 * const next = applyEndpointPatch(stored, { id: 'e1', attributes: { Interests: ['Music'] } }, { appId, at: now });
 */
export interface EndpointPatch {
  readonly id: string;
  readonly channelType?: ChannelType;
  readonly address?: string;
  readonly endpointStatus?: 'ACTIVE' | 'INACTIVE';
  readonly optOut?: 'NONE' | 'ALL';
  readonly effectiveDate?: string;
  readonly requestId?: string;
  readonly location?: Nullable<EndpointLocation>;
  readonly demographic?: Nullable<EndpointDemographic>;
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
  readonly metrics?: Readonly<Record<string, number | null>>;
  readonly user?: {
    readonly userId?: string | null;
    readonly userAttributes?: Readonly<Record<string, readonly string[]>>;
  };
}

export type PatchResult =
  | { readonly ok: true; readonly endpoint: Endpoint }
  | { readonly ok: false; readonly field: 'channelType' | 'address'; readonly reason: string };

/** The endpoint after the patch, or which required field a new endpoint lacks. */
export function applyEndpointPatch(
  existing: Endpoint | undefined,
  patch: EndpointPatch,
  context: { appId: string; at: number },
): PatchResult {
  const channelType = patch.channelType ?? existing?.channelType;
  const address = patch.address ?? existing?.address;
  if (channelType === undefined)
    return { ok: false, field: 'channelType', reason: 'required for a new endpoint' };
  if (address === undefined) return { ok: false, field: 'address', reason: 'required for a new endpoint' };

  const userId =
    patch.user?.userId === null ? undefined : (patch.user?.userId ?? existing?.user?.userId ?? undefined);
  const userAttributes = mergeLists(existing?.user?.userAttributes, patch.user?.userAttributes);
  const hasUser = userId !== undefined || Object.keys(userAttributes).length > 0;

  const effectiveDate = patch.effectiveDate ?? existing?.effectiveDate;
  const requestId = patch.requestId ?? existing?.requestId;
  const endpoint: Endpoint = {
    appId: context.appId,
    id: patch.id,
    channelType,
    address,
    endpointStatus: patch.endpointStatus ?? 'ACTIVE',
    optOut: patch.optOut ?? existing?.optOut ?? 'NONE',
    ...(effectiveDate !== undefined ? { effectiveDate } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    attributes: mergeLists(existing?.attributes, patch.attributes),
    metrics: mergeMetrics(existing?.metrics, patch.metrics),
    ...(hasUser ? { user: { ...(userId !== undefined ? { userId } : {}), userAttributes } } : {}),
    location: mergeFields(existing?.location, patch.location, LOCATION_FIELDS) as EndpointLocation,
    demographic: mergeFields(
      existing?.demographic,
      patch.demographic,
      DEMOGRAPHIC_FIELDS,
    ) as EndpointDemographic,
    cohortId: existing?.cohortId ?? cohortIdOf(patch.id),
    createdAt: existing?.createdAt ?? context.at,
    updatedAt: context.at,
    ...(existing?.lastActiveAt !== undefined ? { lastActiveAt: existing.lastActiveAt } : {}),
  };
  return { ok: true, endpoint };
}

function mergeLists(
  stored: Readonly<Record<string, readonly string[]>> | undefined,
  given: Readonly<Record<string, readonly string[]>> | undefined,
): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = { ...stored };
  for (const [name, values] of Object.entries(given ?? {})) {
    if (values.length === 0) delete out[name];
    else out[name] = values;
  }
  return out;
}

function mergeMetrics(
  stored: Readonly<Record<string, number>> | undefined,
  given: Readonly<Record<string, number | null>> | undefined,
): Record<string, number> {
  const out: Record<string, number> = { ...stored };
  for (const [name, value] of Object.entries(given ?? {})) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  return out;
}

function mergeFields(
  stored: object | undefined,
  given: object | undefined,
  fields: readonly string[],
): Record<string, unknown> {
  const before = (stored ?? {}) as Record<string, unknown>;
  const patch = (given ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = field in patch ? patch[field] : before[field];
    if (value !== undefined && value !== null) out[field] = value;
  }
  return out;
}
