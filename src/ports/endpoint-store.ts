import type { ChannelType } from '../domain/channel-type.js';
import type { Endpoint } from '../domain/endpoint.js';
import type { EndpointPatch } from '../domain/endpoint-patch.js';
import type { RecordValue } from '../domain/endpoint-record.js';
import type { ChangeEvents } from './event-outbox.js';

/**
 * A patch the store refused: its index in the call, the field at fault and why.
 *
 * @example
 * { index: 3, field: 'user.userId', reason: 'the user already has 15 endpoints (at most 15)', code: 'HERALD_QUOTA_EXCEEDED' }
 */
export interface RejectedPatch {
  readonly index: number;
  readonly field: string;
  readonly reason: string;
  readonly code: 'HERALD_QUOTA_EXCEEDED' | 'HERALD_VALIDATION_FAILED';
}

/**
 * What `upsert` did.
 *
 * @example
 * const { written, rejected, deactivated } = await endpoints.upsert(appId, patches, { at: now, mode: 'skip-rejected' });
 */
export interface UpsertOutcome {
  /** The endpoints as stored, in the order of the patches that were applied. */
  readonly written: readonly Endpoint[];
  /** Patches not applied, by index in the call. With `mode: 'all-or-nothing'` any entry means nothing was written. */
  readonly rejected: readonly RejectedPatch[];
  /** Ids of other endpoints made INACTIVE because a written endpoint took their address. */
  readonly deactivated: readonly string[];
}

/**
 * A batch of an import, ready to write: each patch, and the record of the endpoint it makes when its id is new
 * (`applyEndpointPatch(undefined, patch)` flattened by `appendEndpointRecord`), which is what an import mostly
 * writes. Built off the writer's thread (`app/imports/endpoint-batch-builder.ts`).
 *
 * @example
 * await endpoints.importBatch(appId, { count: 1, patches: '[{"id":"e1",...}]', records: ['e1', 'SMS', ...], keys: ['metrics\u0000sessions'] }, { at: now });
 */
export interface EndpointBatch {
  /** How many patches (and records). */
  readonly count: number;
  /**
   * The patches (`EndpointPatch[]`) as one JSON array, read only for endpoints that are not simply new. One text
   * rather than one per patch: the writer's thread receives it as a single string, outside the young generation
   * its collector copies (a string per row was a tenth of that thread's garbage collection).
   */
  readonly patches: string;
  /** `RECORD_WIDTH` values per patch, in patch order. */
  readonly records: readonly RecordValue[];
  /** The attribute keys (`<kind>\u0000<name>`) the records use, each once. */
  readonly keys: readonly string[];
}

/**
 * Filters of `list`; every one given must hold.
 *
 * @example
 * await endpoints.list(appId, { channelType: 'SMS', optOut: 'NONE' }, { limit: 100 });
 */
export interface EndpointListFilter {
  readonly channelType?: ChannelType;
  /** Any of these addresses (the caller passes the raw and the normalised form). */
  readonly addresses?: readonly string[];
  readonly userId?: string;
  readonly optOut?: 'NONE' | 'ALL';
}

/**
 * What `setOptOuts` did.
 *
 * @example
 * const { listChanged, endpointIds } = await endpoints.setOptOuts(appId, 'SMS', ['+16505551234'], 'ALL', now);
 * // listChanged: 1 (the address was not listed before), endpointIds: ['e1'] (opted out now)
 */
export interface OptOutChange {
  /** Distinct addresses the call put on the list (ALL) or took off it (NONE); the others were already so. */
  readonly listChanged: number;
  /** The endpoints whose `optOut` changed, in id order. */
  readonly endpointIds: readonly string[];
}

/**
 * One channel type of the app's opt-out list: how many addresses, and when the latest was put on it.
 *
 * @example
 * { channelType: 'SMS', count: 1532, lastOptedOutAt: 1795298705000 }
 */
export interface OptOutListCount {
  readonly channelType: ChannelType;
  readonly count: number;
  /** Epoch ms. */
  readonly lastOptedOutAt: number;
}

/**
 * The app's endpoints. `upsert` applies patches atomically with Pinpoint's rules: the merge of
 * `applyEndpointPatch`, the per-app attribute-key quota, the per-user endpoint quota, and address takeover (an
 * ACTIVE endpoint taking an address makes every other endpoint of the same channel with that address INACTIVE).
 *
 * It also keeps the app's opt-out list (`setOptOut`): who opted out on a channel type, whether or not an endpoint
 * had the address then. Every write (`upsert`, `importBatch`) applies it: an endpoint that arrives at a listed
 * address (created, or its channel type or address changed) is written with `optOut: ALL`, even when the write says
 * NONE; a stored endpoint that keeps its address and is written with an explicit `optOut: NONE` takes the address
 * off the list (the app has fresh consent).
 *
 * Leaves out: address normalisation and per-endpoint validation (the caller hands in validated, normalised
 * patches: `app/endpoints/prepare-endpoint-patches.ts`), and segments (`SegmentStore`).
 *
 * @example
 * const { written } = await endpoints.upsert(appId, [{ id: 'e1', channelType: 'WHATSAPP', address: '+16505551234' }], { at: now });
 * const changed = await endpoints.setOptOut(appId, 'WHATSAPP', '+16505551234', 'ALL', now);
 * const listed = await endpoints.optedOutAt(appId, 'WHATSAPP', ['+16505551234']); // Map { '+16505551234' => now }
 */
export interface EndpointStore {
  get(appId: string, endpointId: string): Promise<Endpoint | undefined>;
  /** The endpoints that exist among `ids`, in no particular order. */
  getMany(appId: string, ids: readonly string[]): Promise<Endpoint[]>;
  /** Endpoints with this address on this channel: ACTIVE first, then by id. */
  findByAddress(appId: string, channelType: ChannelType, address: string): Promise<Endpoint[]>;
  /** In id order, after `afterId`. */
  list(
    appId: string,
    filter: EndpointListFilter,
    page: { limit: number; afterId?: string },
  ): Promise<Endpoint[]>;
  /** A user's endpoints in id order. */
  listByUser(appId: string, userId: string): Promise<Endpoint[]>;
  /**
   * Applies the patches in one transaction. A later patch for the same id applies on top of an earlier one.
   * `mode: 'all-or-nothing'` (the default) writes nothing when any patch is refused; `'skip-rejected'` writes
   * the others. Either way the refused ones are in `rejected`. `bulk` (imports) lets the database acknowledge the
   * commit before it is flushed: a database crash may lose the call, which the caller must be able to repeat.
   */
  upsert(
    appId: string,
    patches: readonly EndpointPatch[],
    options: { at: number; mode?: 'all-or-nothing' | 'skip-rejected'; bulk?: boolean },
  ): Promise<UpsertOutcome>;
  /**
   * Writes an import's batch: the same as `upsert` of its patches with `mode: 'skip-rejected', bulk: true`, whose
   * outcome it returns as ids; quicker when every endpoint of the batch is new, which it checks first.
   */
  importBatch(
    appId: string,
    batch: EndpointBatch,
    options: { at: number },
  ): Promise<{ written: readonly string[]; rejected: readonly RejectedPatch[] }>;
  /** Deletes one endpoint (and its import-segment memberships); returns it, or undefined when absent. */
  delete(appId: string, endpointId: string): Promise<Endpoint | undefined>;
  /** Deletes every endpoint of the user; returns them. */
  deleteByUser(appId: string, userId: string): Promise<Endpoint[]>;
  /**
   * The person at this address opted out (ALL) or back in (NONE) on this channel type: puts the address on the app's
   * opt-out list or takes it off, and opts every endpoint with this channel and address out or in. Returns the ids
   * whose value changed (none when no endpoint has the address; the list remembers it all the same). Used by
   * STOP/START keywords, LINE unfollow and providers' opt-out and opt-in events. `events` makes the change's events,
   * stored in its transaction.
   */
  setOptOut(
    appId: string,
    channelType: ChannelType,
    address: string,
    optOut: 'NONE' | 'ALL',
    at: number,
    events?: ChangeEvents<OptOutChange>,
  ): Promise<string[]>;
  /**
   * `setOptOut` for many addresses of one channel type (distinct, canonical) in one transaction: what the opt-out API
   * does with an app's list (a Pinpoint or End User Messaging suppression list loaded, people opted back in).
   */
  setOptOuts(
    appId: string,
    channelType: ChannelType,
    addresses: readonly string[],
    optOut: 'NONE' | 'ALL',
    at: number,
    events?: ChangeEvents<OptOutChange>,
  ): Promise<OptOutChange>;
  /**
   * When each of the addresses (canonical, of one channel type) was put on the app's opt-out list, for those on it.
   * The list holds hashes: it answers for addresses it is given, and can never list them.
   */
  optedOutAt(
    appId: string,
    channelType: ChannelType,
    addresses: readonly string[],
  ): Promise<Map<string, number>>;
  /** The app's opt-out list by channel type, in channel type order (types without entries are left out). */
  optOutCounts(appId: string): Promise<OptOutListCount[]>;
  /**
   * Takes the address off the app's opt-out list without changing any endpoint: an explicit opt-in (a LINE follow)
   * about to write the endpoint itself.
   */
  forgetOptOut(appId: string, channelType: ChannelType, address: string): Promise<void>;
  /** Records activity (an inbound message or event) at `at`; never moves `lastActiveAt` backwards. */
  touchActivity(appId: string, endpointIds: readonly string[], at: number): Promise<void>;
  /** The app's attribute names by kind, as counted by the per-app key quota. */
  attributeKeys(appId: string): Promise<{ kind: string; name: string }[]>;
  /** Bulk loads (imports) report each batch's row count (PostgreSQL refreshes the planner's statistics). */
  afterBulkWrite?(rows: number): Promise<void>;
}
