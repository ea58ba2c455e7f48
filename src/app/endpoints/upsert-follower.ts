import type { ChannelType } from '../../domain/channel-type.js';
import type { EndpointPatch } from '../../domain/endpoint-patch.js';
import { ENDPOINT_QUOTAS } from '../../domain/endpoint-quotas.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import type { IdGenerator } from '../../ports/id-generator.js';

/** The user attribute that holds a follower's display name. */
export const DISPLAY_NAME_ATTRIBUTE = 'displayName';

/**
 * A LINE follow (or any provider-reported opt-in of a known address): re-activates and opts in the endpoint with
 * this address (the ACTIVE one first), or creates one, with the display name as a user attribute. Returns the
 * endpoint id. When the app has no room left for the attribute name, the endpoint is written without it. A follow
 * is an explicit opt-in: the address leaves the app's opt-out list first, so a new endpoint starts opted in.
 *
 * @example
 * const endpointId = await upsertFollower({ endpoints, ids }, appId, { channelType: 'LINE', address: 'U4af4...', displayName: 'Brown', at: now });
 */
export async function upsertFollower(
  deps: { readonly endpoints: EndpointStore; readonly ids: IdGenerator },
  appId: string,
  input: { channelType: ChannelType; address: string; displayName?: string; at: number },
): Promise<string> {
  await deps.endpoints.forgetOptOut(appId, input.channelType, input.address);
  const [existing] = await deps.endpoints.findByAddress(appId, input.channelType, input.address);
  const id = existing?.id ?? deps.ids.next();
  const base: EndpointPatch = {
    id,
    channelType: input.channelType,
    address: input.address,
    endpointStatus: 'ACTIVE',
    optOut: 'NONE',
  };
  const name = input.displayName?.replaceAll('\u0000', '').slice(0, ENDPOINT_QUOTAS.attributeValueLength);
  if (name) {
    const outcome = await deps.endpoints.upsert(
      appId,
      [{ ...base, user: { userAttributes: { [DISPLAY_NAME_ATTRIBUTE]: [name] } } }],
      { at: input.at },
    );
    if (outcome.rejected.length === 0) return id;
  }
  const outcome = await deps.endpoints.upsert(appId, [base], { at: input.at });
  const refused = outcome.rejected[0];
  if (refused) throw new Error(`the follower's endpoint was refused: ${refused.field}: ${refused.reason}`);
  return id;
}
