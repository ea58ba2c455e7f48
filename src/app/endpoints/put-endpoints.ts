import type { Endpoint } from '../../domain/endpoint.js';
import type { EndpointPatch } from '../../domain/endpoint-patch.js';
import { type ErrorDetail, HeraldError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import { type EndpointInput, type InputIssue, validateEndpointInput } from './endpoint-input.js';

/**
 * What writing endpoints needs.
 *
 * @example
 * await putEndpoints({ endpoints, clock }, appId, [{ id: 'e1', channelType: 'SMS', address: '+16505551234' }], 'single');
 */
export interface PutEndpointsDeps {
  readonly endpoints: EndpointStore;
  readonly clock: Clock;
}

/**
 * An input's problems, with its index in the call.
 *
 * @example
 * { index: 2, field: 'address', reason: 'not a valid phone number', code: 'HERALD_INVALID_ADDRESS' }
 */
export interface IndexedIssue extends InputIssue {
  readonly index: number;
}

/**
 * Validates inputs into patches. Inputs that leave out their channel type or address are checked against the
 * stored endpoint (one read for all of them).
 */
export async function prepareEndpointPatches(
  endpoints: EndpointStore,
  appId: string,
  inputs: readonly EndpointInput[],
): Promise<{ patches: (EndpointPatch | undefined)[]; issues: IndexedIssue[] }> {
  const partial = inputs
    .filter((i) => i.channelType === undefined || i.address === undefined)
    .map((i) => i.id);
  const stored = new Map(
    partial.length > 0 ? (await endpoints.getMany(appId, partial)).map((e) => [e.id, e] as const) : [],
  );
  const patches: (EndpointPatch | undefined)[] = [];
  const issues: IndexedIssue[] = [];
  inputs.forEach((input, index) => {
    const current = stored.get(input.id);
    const result = validateEndpointInput(
      input,
      current ? { channelType: current.channelType, address: current.address } : {},
    );
    if ('patch' in result) patches.push(result.patch);
    else {
      patches.push(undefined);
      for (const issue of result.issues) issues.push({ ...issue, index });
    }
  });
  return { patches, issues };
}

/**
 * PUT of one endpoint or a batch of up to 100: validated as a whole, written in one transaction or not at all.
 * One endpoint's problem is an error on its field (`HERALD_INVALID_ADDRESS` on `address`...); a batch's problems
 * are one `HERALD_BATCH_INVALID` listing the index and field of each.
 */
export async function putEndpoints(
  deps: PutEndpointsDeps,
  appId: string,
  inputs: readonly EndpointInput[],
  shape: 'single' | 'batch',
): Promise<{ written: readonly Endpoint[]; at: number }> {
  const { patches, issues } = await prepareEndpointPatches(deps.endpoints, appId, inputs);
  if (issues.length > 0) throw inputError(issues, shape);
  const at = deps.clock.now();
  const outcome = await deps.endpoints.upsert(appId, patches as EndpointPatch[], { at });
  if (outcome.rejected.length > 0) throw inputError(outcome.rejected, shape);
  return { written: outcome.written, at };
}

function inputError(issues: readonly IndexedIssue[], shape: 'single' | 'batch'): HeraldError {
  const first = issues[0] as IndexedIssue;
  if (shape === 'single') {
    return new HeraldError(first.code, `${first.field}: ${first.reason}`, {
      field: first.field,
      details: issues.map((i) => ({ field: i.field, reason: i.reason })),
    });
  }
  const details: ErrorDetail[] = issues.map((i) => ({ index: i.index, field: i.field, reason: i.reason }));
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return new HeraldError(
    'HERALD_BATCH_INVALID',
    `items[${first.index}].${first.field}: ${first.reason}${more}`,
    {
      field: `items[${first.index}].${first.field}`,
      details,
    },
  );
}
