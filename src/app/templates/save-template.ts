import { HeraldError } from '../../domain/errors.js';
import type { Template, TemplateDefinition } from '../../domain/template.js';
import type { CampaignStore } from '../../ports/campaign-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { TemplateStore } from '../../ports/template-store.js';
import { templateVariables } from './template-variables.js';

export interface TemplateDeps {
  readonly templates: TemplateStore;
  readonly campaigns: CampaignStore;
  readonly ids: IdGenerator;
  readonly clock: Clock;
}

/** Creates version 1 after checking the placeholders. */
export async function createTemplate(
  deps: TemplateDeps,
  appId: string,
  input: { name: string; definition: TemplateDefinition },
): Promise<Template> {
  checkDefinition(input.definition);
  const now = deps.clock.now();
  const template: Template = {
    appId,
    id: deps.ids.next(),
    version: 1,
    name: input.name,
    definition: input.definition,
    createdAt: now,
    updatedAt: now,
  };
  await deps.templates.create(template);
  return template;
}

/** Writes the next version; the kind of a template cannot change (campaigns rely on it). */
export async function updateTemplate(
  deps: TemplateDeps,
  appId: string,
  templateId: string,
  input: { name?: string; definition: TemplateDefinition },
): Promise<Template> {
  const current = await deps.templates.get(appId, templateId);
  if (!current) throw templateNotFound(templateId);
  if (current.definition.kind !== input.definition.kind) {
    throw new HeraldError(
      'HERALD_VALIDATION_FAILED',
      `template ${templateId} is a ${current.definition.kind} template; its kind cannot change`,
      { field: 'kind' },
    );
  }
  checkDefinition(input.definition);
  const template: Template = {
    ...current,
    version: current.version + 1,
    name: input.name ?? current.name,
    definition: input.definition,
    updatedAt: Math.max(deps.clock.now(), current.updatedAt + 1),
  };
  await deps.templates.addVersion(template);
  return template;
}

/** Refused (409) while a campaign that has not finished uses the template. */
export async function deleteTemplate(deps: TemplateDeps, appId: string, templateId: string): Promise<void> {
  const users = await deps.campaigns.usingTemplate(appId, templateId);
  if (users.length > 0) {
    throw new HeraldError(
      'HERALD_CONFLICT',
      `template ${templateId} is used by campaign(s) ${users.map((c) => c.id).join(', ')}; cancel or change them first`,
      { field: 'templateId' },
    );
  }
  if (!(await deps.templates.delete(appId, templateId))) throw templateNotFound(templateId);
}

export function templateNotFound(templateId: string, version?: number): HeraldError {
  return new HeraldError(
    'HERALD_NOT_FOUND',
    version === undefined
      ? `template ${templateId} does not exist`
      : `template ${templateId} has no version ${version}`,
    { field: version === undefined ? 'templateId' : 'version' },
  );
}

function checkDefinition(definition: TemplateDefinition): void {
  templateVariables(definition);
  if (definition.kind === 'message' && (definition.text === undefined) === (definition.media === undefined)) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', 'give text, or media (with its caption)', {
      field: 'text',
    });
  }
}
