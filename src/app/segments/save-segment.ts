import { HeraldError } from '../../domain/errors.js';
import {
  MAX_SEGMENT_DEPTH,
  type Segment,
  type SegmentDefinition,
  sourceSegmentsOf,
} from '../../domain/segment.js';
import type { CampaignStore } from '../../ports/campaign-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { SegmentStore } from '../../ports/segment-store.js';

/**
 * What saving segments needs.
 *
 * @example
 * await createSegment({ segments, ids, clock }, appId, { name: 'US', dimensions: { location: { country: { dimensionType: 'INCLUSIVE', values: ['US'] } } } });
 */
export interface SegmentDeps {
  readonly segments: SegmentStore;
  /** Campaigns that run on a segment, which keep it from being deleted. */
  readonly campaigns?: Pick<CampaignStore, 'usingSegment'>;
  readonly ids: IdGenerator;
  readonly clock: Clock;
}

/**
 * A segment as a client writes it.
 *
 * @example
 * { name: 'Everyone' }
 */
export interface SegmentInput extends SegmentDefinition {
  readonly name: string;
}

/** Creates version 1 of a DIMENSIONAL segment after checking its source segments. */
export async function createSegment(deps: SegmentDeps, appId: string, input: SegmentInput): Promise<Segment> {
  await checkSources(deps.segments, appId, undefined, input);
  const now = deps.clock.now();
  const segment: Segment = {
    appId,
    id: deps.ids.next(),
    name: input.name,
    version: 1,
    segmentType: 'DIMENSIONAL',
    ...definitionOf(input),
    createdAt: now,
    updatedAt: now,
  };
  await deps.segments.create(segment);
  return segment;
}

/** The IMPORT segment an import with `defineSegment` fills. */
export async function createImportSegment(
  deps: SegmentDeps,
  appId: string,
  input: { name: string; importId: string },
): Promise<Segment> {
  const now = deps.clock.now();
  const segment: Segment = {
    appId,
    id: deps.ids.next(),
    name: input.name,
    version: 1,
    segmentType: 'IMPORT',
    importId: input.importId,
    createdAt: now,
    updatedAt: now,
  };
  await deps.segments.create(segment);
  return segment;
}

/**
 * Writes the next version. The name is kept when left out; the definition is replaced by the one given
 * (`dimensions` and `segmentGroups` together), or kept when neither is given. An IMPORT segment's members come
 * from its import, so only its name can change.
 */
export async function updateSegment(
  deps: SegmentDeps,
  appId: string,
  segmentId: string,
  input: Partial<SegmentInput>,
): Promise<Segment> {
  const current = await deps.segments.get(appId, segmentId);
  if (!current) throw segmentNotFound(segmentId);
  const redefines = input.dimensions !== undefined || input.segmentGroups !== undefined;
  if (current.segmentType === 'IMPORT' && redefines) {
    throw new HeraldError(
      'HERALD_VALIDATION_FAILED',
      `segment ${segmentId} is an imported segment: its members come from its import. Build a dimensional segment with it as a source segment instead.`,
      { field: input.dimensions !== undefined ? 'dimensions' : 'segmentGroups' },
    );
  }
  const definition = redefines ? definitionOf(input) : definitionOf(current);
  await checkSources(deps.segments, appId, segmentId, definition);
  const segment: Segment = {
    appId,
    id: segmentId,
    name: input.name ?? current.name,
    version: current.version + 1,
    segmentType: current.segmentType,
    ...definition,
    ...(current.importId !== undefined ? { importId: current.importId } : {}),
    createdAt: current.createdAt,
    updatedAt: deps.clock.now(),
  };
  await deps.segments.addVersion(segment);
  return segment;
}

/**
 * Deletes a segment that no other segment builds on (in its latest version) and no unfinished campaign runs on
 * (its runs would fail with HERALD_NOT_FOUND: refused with 409, as templates are).
 */
export async function deleteSegment(deps: SegmentDeps, appId: string, segmentId: string): Promise<void> {
  if (!(await deps.segments.get(appId, segmentId))) throw segmentNotFound(segmentId);
  const users = (await deps.campaigns?.usingSegment(appId, segmentId)) ?? [];
  if (users.length > 0) {
    throw new HeraldError(
      'HERALD_CONFLICT',
      `segment ${segmentId} is used by campaign(s) ${users.map((c) => c.id).join(', ')}; cancel or change them first`,
      { field: 'segmentId' },
    );
  }
  for await (const other of allSegments(deps.segments, appId)) {
    if (other.id !== segmentId && sourceSegmentsOf(other).some((ref) => ref.id === segmentId)) {
      throw new HeraldError(
        'HERALD_CONFLICT',
        `segment ${other.id} ("${other.name}") builds on segment ${segmentId}; change or delete it first`,
        { field: 'segmentId' },
      );
    }
  }
  await deps.segments.delete(appId, segmentId);
}

export function segmentNotFound(segmentId: string): HeraldError {
  return new HeraldError('HERALD_NOT_FOUND', `segment ${segmentId} does not exist`, { field: 'segmentId' });
}

function definitionOf(input: SegmentDefinition): SegmentDefinition {
  return {
    ...(input.dimensions !== undefined ? { dimensions: input.dimensions } : {}),
    ...(input.segmentGroups !== undefined ? { segmentGroups: input.segmentGroups } : {}),
  };
}

async function* allSegments(store: SegmentStore, appId: string): AsyncGenerator<Segment> {
  let afterId: string | undefined;
  for (;;) {
    const page = await store.list(appId, { limit: 500, ...(afterId !== undefined ? { afterId } : {}) });
    yield* page;
    if (page.length < 500) return;
    afterId = page.at(-1)?.id;
  }
}

/**
 * Every source segment exists (in the version named), the segment being written is not among the segments
 * its sources reach (no cycles), and nesting stays within `MAX_SEGMENT_DEPTH`.
 */
async function checkSources(
  store: SegmentStore,
  appId: string,
  selfId: string | undefined,
  definition: SegmentDefinition,
): Promise<void> {
  const groups = definition.segmentGroups?.groups ?? [];
  for (const [g, group] of groups.entries()) {
    for (const [s, ref] of group.sourceSegments.entries()) {
      const field = `segmentGroups.groups[${g}].sourceSegments[${s}]`;
      const source = await store.get(appId, ref.id, ref.version);
      if (!source) {
        throw new HeraldError(
          'HERALD_VALIDATION_FAILED',
          `${field}: segment ${ref.id}${ref.version === undefined ? '' : ` has no version ${ref.version} or`} does not exist`,
          { field: ref.version === undefined ? `${field}.id` : `${field}.version` },
        );
      }
      const depth = await reach(store, appId, source, selfId, field, 1);
      if (depth >= MAX_SEGMENT_DEPTH) {
        throw new HeraldError(
          'HERALD_VALIDATION_FAILED',
          `${field}: source segments may nest at most ${MAX_SEGMENT_DEPTH} deep`,
          { field: `${field}.id` },
        );
      }
    }
  }
}

/** How deep the sources of `segment` nest; refuses a path back to `selfId`. */
async function reach(
  store: SegmentStore,
  appId: string,
  segment: Segment,
  selfId: string | undefined,
  field: string,
  depth: number,
): Promise<number> {
  if (segment.id === selfId) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${field}: the segment would build on itself`, {
      field: `${field}.id`,
    });
  }
  if (depth > MAX_SEGMENT_DEPTH) return depth;
  let deepest = depth;
  for (const ref of sourceSegmentsOf(segment)) {
    const source = await store.get(appId, ref.id, ref.version);
    if (source) deepest = Math.max(deepest, await reach(store, appId, source, selfId, field, depth + 1));
  }
  return deepest;
}
