import type { Template } from '../domain/template.js';

/**
 * Templates and their versions. A name is unique in an app (across versions of the same template).
 *
 * Leaves out: validating definitions and variables (`app/templates/`), and the provider's own copy of WhatsApp
 * templates (`ChannelAdapter.listTemplates`, read by `templates sync`).
 *
 * @example
 * await templates.create(template);                       // version 1; HERALD_CONFLICT when the name is taken
 * await templates.addVersion({ ...template, version: 2 }); // HERALD_VERSION_MISMATCH when another update won
 * const latest = await templates.get(appId, template.id);
 */
export interface TemplateStore {
  create(template: Template): Promise<void>;
  /** `template.version` must be the latest + 1. */
  addVersion(template: Template): Promise<void>;
  /** A version (the latest when left out). */
  get(appId: string, templateId: string, version?: number): Promise<Template | undefined>;
  /** The latest version of the template with this name. */
  findByName(appId: string, name: string): Promise<Template | undefined>;
  /** Latest versions in id order. */
  list(appId: string, page: { limit: number; afterId?: string }): Promise<Template[]>;
  /** Newest first. */
  listVersions(appId: string, templateId: string): Promise<Template[]>;
  /** Deletes every version; false when absent. */
  delete(appId: string, templateId: string): Promise<boolean>;
}
