import { type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import type { Endpoint } from '../domain/endpoint.js';
import { HeraldError } from '../domain/errors.js';
import {
  MAX_SEGMENT_DEPTH,
  type Segment,
  type SegmentDefinition,
  type SegmentType,
  type SourceSegmentRef,
  sourceSegmentsOf,
} from '../domain/segment.js';
import type { SegmentAudienceOptions, SegmentStore } from '../ports/segment-store.js';
import { type AudienceSql, readJson } from './audience-sql.js';
import { audienceSqlFor } from './audience-sql-for.js';
import type { Database, DialectName } from './database.js';
import { toEndpoint } from './endpoint-store.js';
import { segmentPredicate } from './segment-sql.js';

type Row = Selectable<Database['segments']>;

export class KyselySegmentStore implements SegmentStore {
  private readonly sql: AudienceSql;

  constructor(
    private readonly db: Kysely<Database>,
    dialect: DialectName,
    private readonly clock: { now(): number },
  ) {
    this.sql = audienceSqlFor(dialect);
  }

  async create(segment: Segment): Promise<void> {
    await this.db.insertInto('segments').values(this.toRow(segment)).execute();
  }

  async addVersion(segment: Segment): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const latest = await trx
        .selectFrom('segments')
        .select((eb) => eb.fn.max('version').as('version'))
        .where('app_id', '=', segment.appId)
        .where('id', '=', segment.id)
        .executeTakeFirst();
      if (Number(latest?.version ?? 0) !== segment.version - 1) {
        throw new HeraldError(
          'HERALD_VERSION_MISMATCH',
          `segment ${segment.id} changed meanwhile: its latest version is ${latest?.version ?? 'none'}`,
          { field: 'segmentId' },
        );
      }
      try {
        await trx.insertInto('segments').values(this.toRow(segment)).execute();
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new HeraldError('HERALD_VERSION_MISMATCH', `segment ${segment.id} changed meanwhile`, {
            field: 'segmentId',
          });
        }
        throw error;
      }
    });
  }

  async get(appId: string, segmentId: string, version?: number): Promise<Segment | undefined> {
    let query = this.db
      .selectFrom('segments')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', segmentId)
      .orderBy('version', 'desc')
      .limit(1);
    if (version !== undefined) query = query.where('version', '=', version);
    const row = await query.executeTakeFirst();
    return row && toSegment(row);
  }

  async list(appId: string, page: { limit: number; afterId?: string }): Promise<Segment[]> {
    let query = this.db
      .selectFrom('segments as s')
      .selectAll()
      .where('s.app_id', '=', appId)
      .where((eb) =>
        eb(
          's.version',
          '=',
          eb
            .selectFrom('segments as v')
            .select((v) => v.fn.max('v.version').as('max'))
            .whereRef('v.app_id', '=', 's.app_id')
            .whereRef('v.id', '=', 's.id'),
        ),
      )
      .orderBy('s.id')
      .limit(page.limit);
    if (page.afterId !== undefined) query = query.where('s.id', '>', page.afterId);
    return (await query.execute()).map(toSegment);
  }

  async listVersions(appId: string, segmentId: string): Promise<Segment[]> {
    const rows = await this.db
      .selectFrom('segments')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', segmentId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toSegment);
  }

  async delete(appId: string, segmentId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('segments')
        .where('app_id', '=', appId)
        .where('id', '=', segmentId)
        .executeTakeFirst();
      await trx
        .deleteFrom('segment_members')
        .where('app_id', '=', appId)
        .where('segment_id', '=', segmentId)
        .execute();
      return result.numDeletedRows > 0n;
    });
  }

  async addMembers(appId: string, segmentId: string, endpointIds: readonly string[]): Promise<void> {
    const unique = [...new Set(endpointIds)];
    // Three columns: well within every dialect's parameter limit at 1,000 rows per statement.
    for (let start = 0; start < unique.length; start += 1000) {
      await this.db
        .insertInto('segment_members')
        .values(
          unique
            .slice(start, start + 1000)
            .map((id) => ({ app_id: appId, segment_id: segmentId, endpoint_id: id })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async estimate(
    appId: string,
    segmentId: string,
    options: SegmentAudienceOptions & { now?: number } = {},
  ): Promise<number> {
    const where = await this.audienceWhere(appId, segmentId, options);
    const row = await this.db
      .selectFrom('endpoints as e')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(this.sql.inApp(appId))
      .where(where)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async pageSegmentEndpoints(
    appId: string,
    segmentId: string,
    options: SegmentAudienceOptions & {
      afterId?: string;
      limit: number;
      now?: number;
      endpointIds?: readonly string[];
    },
  ): Promise<Endpoint[]> {
    const where = await this.audienceWhere(appId, segmentId, options);
    let query = this.db
      .selectFrom('endpoints as e')
      .selectAll('e')
      .where(this.sql.inApp(appId, options.afterId))
      .where(where)
      .orderBy('e.id')
      .limit(options.limit);
    if (options.endpointIds !== undefined) {
      if (options.endpointIds.length === 0) return [];
      query = query.where('e.id', 'in', [...options.endpointIds]);
    }
    return (await query.execute()).map(toEndpoint);
  }

  /** The segment's predicate with the default exclusions. Throws HERALD_NOT_FOUND for an unknown segment. */
  private async audienceWhere(
    appId: string,
    segmentId: string,
    options: SegmentAudienceOptions & { now?: number },
  ) {
    const segment = await this.get(appId, segmentId, options.version);
    if (!segment) {
      throw new HeraldError(
        'HERALD_NOT_FOUND',
        options.version === undefined
          ? `segment ${segmentId} does not exist`
          : `segment ${segmentId} has no version ${options.version}`,
        { field: options.version === undefined ? 'segmentId' : 'version' },
      );
    }
    const sources = await this.loadSources(appId, segment);
    const predicate = segmentPredicate(segment, {
      appId,
      now: options.now ?? this.clock.now(),
      sql: this.sql,
      resolve: (ref) => {
        const found = sources.get(refKey(ref));
        if (!found) throw new Error(`source segment ${ref.id} was not loaded`);
        return found;
      },
    });
    const parts = [predicate];
    if (!options.includeInactive) parts.push(sql<SqlBool>`e.active = 1`);
    if (!options.includeOptedOut) parts.push(sql<SqlBool>`e.opt_out = 0`);
    return sql<SqlBool>`${sql.join(parts, sql` and `)}`;
  }

  /** Every source segment the definition reaches, by reference; refuses cycles and too deep nesting. */
  private async loadSources(appId: string, root: Segment): Promise<Map<string, Segment>> {
    const loaded = new Map<string, Segment>();
    const visit = async (segment: Segment, path: readonly string[]) => {
      for (const ref of sourceSegmentsOf(segment)) {
        if (path.includes(ref.id)) {
          throw new HeraldError(
            'HERALD_CONFLICT',
            `segment ${root.id} reaches itself through segment ${ref.id}`,
            {
              field: 'segmentGroups',
            },
          );
        }
        if (path.length >= MAX_SEGMENT_DEPTH) {
          throw new HeraldError(
            'HERALD_CONFLICT',
            `segment ${root.id} nests source segments more than ${MAX_SEGMENT_DEPTH} deep`,
            { field: 'segmentGroups' },
          );
        }
        const key = refKey(ref);
        let source = loaded.get(key);
        if (!source) {
          source = await this.get(appId, ref.id, ref.version);
          if (!source) {
            throw new HeraldError(
              'HERALD_CONFLICT',
              `source segment ${ref.id}${ref.version === undefined ? '' : ` version ${ref.version}`} of segment ${root.id} no longer exists`,
              { field: 'segmentGroups' },
            );
          }
          loaded.set(key, source);
        }
        await visit(source, [...path, ref.id]);
      }
    };
    await visit(root, [root.id]);
    return loaded;
  }

  private toRow(segment: Segment) {
    const definition: SegmentDefinition = {
      ...(segment.dimensions ? { dimensions: segment.dimensions } : {}),
      ...(segment.segmentGroups ? { segmentGroups: segment.segmentGroups } : {}),
    };
    return {
      app_id: segment.appId,
      id: segment.id,
      version: segment.version,
      name: segment.name,
      segment_type: segment.segmentType,
      definition: this.sql.json(definition),
      import_id: segment.importId ?? null,
      created_at: segment.createdAt,
      updated_at: segment.updatedAt,
    };
  }
}

function refKey(ref: SourceSegmentRef): string {
  return `${ref.id}@${ref.version ?? 'latest'}`;
}

function toSegment(row: Row): Segment {
  const definition = readJson<SegmentDefinition>(row.definition, {});
  return {
    appId: row.app_id,
    id: row.id,
    name: row.name,
    version: Number(row.version),
    segmentType: row.segment_type as SegmentType,
    ...(definition.dimensions ? { dimensions: definition.dimensions } : {}),
    ...(definition.segmentGroups ? { segmentGroups: definition.segmentGroups } : {}),
    ...(row.import_id !== null ? { importId: row.import_id } : {}),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
