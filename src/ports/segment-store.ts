import type { Endpoint } from '../domain/endpoint.js';
import type { Segment } from '../domain/segment.js';

/**
 * Which endpoints of a segment count: the latest version, without opted-out or INACTIVE endpoints, by default.
 *
 * @example
 * await segments.estimate(appId, segmentId, { version: 2, includeOptedOut: true });
 */
export interface SegmentAudienceOptions {
  /** A version of the segment; the latest when left out. */
  readonly version?: number;
  /** Include endpoints that opted out (optOut ALL). Default false. */
  readonly includeOptedOut?: boolean;
  /** Include INACTIVE endpoints. Default false. */
  readonly includeInactive?: boolean;
}

/**
 * Segments, their versions, import-segment members, and evaluation. A segment is compiled to one SQL predicate
 * (source segments inlined, IMPORT segments as a membership subquery) and evaluated in the database: endpoints
 * are never loaded to be filtered. `pageSegmentEndpoints` streams an audience with keyset pagination by endpoint
 * id, so a campaign fans out over millions of endpoints page by page at constant cost per page.
 *
 * Leaves out: validating definitions (`app/segments/`), campaigns (which call `pageSegmentEndpoints`).
 *
 * @example
 * let afterId: string | undefined;
 * for (;;) {
 *   const page = await segments.pageSegmentEndpoints(appId, segmentId, { limit: 1000, ...(afterId ? { afterId } : {}) });
 *   if (page.length === 0) break;
 *   await enqueue(page);
 *   afterId = page.at(-1)!.id;
 * }
 */
export interface SegmentStore {
  /** Writes version 1 of a new segment. */
  create(segment: Segment): Promise<void>;
  /**
   * Writes the next version of an existing segment; `segment.version` must be the latest + 1, else
   * `HERALD_VERSION_MISMATCH` (a concurrent update won).
   */
  addVersion(segment: Segment): Promise<void>;
  /** A version (the latest when left out). */
  get(appId: string, segmentId: string, version?: number): Promise<Segment | undefined>;
  /** Latest versions in id order. */
  list(appId: string, page: { limit: number; afterId?: string }): Promise<Segment[]>;
  /** Versions of one segment, newest first. */
  listVersions(appId: string, segmentId: string): Promise<Segment[]>;
  /** Deletes every version and the members; false when absent. */
  delete(appId: string, segmentId: string): Promise<boolean>;
  /** Adds endpoints to an IMPORT segment; adding a member twice is harmless. */
  addMembers(appId: string, segmentId: string, endpointIds: readonly string[]): Promise<void>;
  /** How many endpoints the segment holds now. */
  estimate(
    appId: string,
    segmentId: string,
    options?: SegmentAudienceOptions & { now?: number },
  ): Promise<number>;
  /**
   * The segment's endpoints with id > `afterId`, in id order; with `endpointIds`, only those of them that are in
   * the segment (an event-triggered campaign checks the endpoints an event names).
   */
  pageSegmentEndpoints(
    appId: string,
    segmentId: string,
    options: SegmentAudienceOptions & {
      afterId?: string;
      limit: number;
      now?: number;
      endpointIds?: readonly string[];
    },
  ): Promise<Endpoint[]>;
}
