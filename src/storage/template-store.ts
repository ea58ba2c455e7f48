import type { Kysely, Selectable } from 'kysely';
import { HeraldError } from '../domain/errors.js';
import type { Template, TemplateDefinition } from '../domain/template.js';
import type { TemplateStore } from '../ports/template-store.js';
import { readJson } from './audience-sql.js';
import type { Database } from './database.js';
import { isUniqueViolation } from './unique-violation.js';

type Row = Selectable<Database['templates']>;

export class KyselyTemplateStore implements TemplateStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(template: Template): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('templates')
        .select('id')
        .where('app_id', '=', template.appId)
        .where('name', '=', template.name)
        .where('id', '!=', template.id)
        .executeTakeFirst();
      if (taken) throw nameTaken(template.name);
      await trx.insertInto('templates').values(toRow(template)).execute();
    });
  }

  async addVersion(template: Template): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const latest = await trx
        .selectFrom('templates')
        .select((eb) => eb.fn.max('version').as('version'))
        .where('app_id', '=', template.appId)
        .where('id', '=', template.id)
        .executeTakeFirst();
      if (Number(latest?.version ?? 0) !== template.version - 1) {
        throw new HeraldError(
          'HERALD_VERSION_MISMATCH',
          `template ${template.id} changed meanwhile: its latest version is ${latest?.version ?? 'none'}`,
          { field: 'templateId' },
        );
      }
      const taken = await trx
        .selectFrom('templates')
        .select('id')
        .where('app_id', '=', template.appId)
        .where('name', '=', template.name)
        .where('id', '!=', template.id)
        .executeTakeFirst();
      if (taken) throw nameTaken(template.name);
      try {
        await trx.insertInto('templates').values(toRow(template)).execute();
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new HeraldError('HERALD_VERSION_MISMATCH', `template ${template.id} changed meanwhile`, {
            field: 'templateId',
          });
        }
        throw error;
      }
    });
  }

  async get(appId: string, templateId: string, version?: number): Promise<Template | undefined> {
    let query = this.db
      .selectFrom('templates')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', templateId)
      .orderBy('version', 'desc')
      .limit(1);
    if (version !== undefined) query = query.where('version', '=', version);
    const row = await query.executeTakeFirst();
    return row && toTemplate(row);
  }

  async findByName(appId: string, name: string): Promise<Template | undefined> {
    const row = await this.db
      .selectFrom('templates')
      .selectAll()
      .where('app_id', '=', appId)
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toTemplate(row);
  }

  async list(appId: string, page: { limit: number; afterId?: string }): Promise<Template[]> {
    let query = this.db
      .selectFrom('templates as t')
      .selectAll()
      .where('t.app_id', '=', appId)
      .where((eb) =>
        eb(
          't.version',
          '=',
          eb
            .selectFrom('templates as v')
            .select((v) => v.fn.max('v.version').as('max'))
            .whereRef('v.app_id', '=', 't.app_id')
            .whereRef('v.id', '=', 't.id'),
        ),
      )
      .orderBy('t.id')
      .limit(page.limit);
    if (page.afterId !== undefined) query = query.where('t.id', '>', page.afterId);
    return (await query.execute()).map(toTemplate);
  }

  async listVersions(appId: string, templateId: string): Promise<Template[]> {
    const rows = await this.db
      .selectFrom('templates')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', templateId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toTemplate);
  }

  async delete(appId: string, templateId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('templates')
      .where('app_id', '=', appId)
      .where('id', '=', templateId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function nameTaken(name: string): HeraldError {
  return new HeraldError('HERALD_CONFLICT', `another template is already named ${name}`, { field: 'name' });
}

function toRow(template: Template) {
  return {
    app_id: template.appId,
    id: template.id,
    version: template.version,
    name: template.name,
    kind: template.definition.kind,
    definition: JSON.stringify(template.definition),
    created_at: template.createdAt,
    updated_at: template.updatedAt,
  };
}

function toTemplate(row: Row): Template {
  return {
    appId: row.app_id,
    id: row.id,
    version: Number(row.version),
    name: row.name,
    definition: readJson<TemplateDefinition>(row.definition, { kind: 'message', defaults: {} }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
