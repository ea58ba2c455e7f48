import { applyEndpointPatch, type EndpointPatch } from '../../domain/endpoint-patch.js';
import { appendEndpointRecord, attributeKeysOf, type RecordValue } from '../../domain/endpoint-record.js';
import type { EndpointBatch } from '../../ports/endpoint-store.js';

/**
 * Collects checked patches into an `EndpointBatch`: each patch's JSON, and the record of the endpoint it makes
 * when its id is new. Runs in an import's reader thread, so the writer gets rows it can bind as they are.
 *
 * @example
 * const builder = new EndpointBatchBuilder();
 * builder.add({ id: 'e1', channelType: 'SMS', address: '+16505551234' });
 * await endpoints.importBatch(appId, builder.build(), { at: now });
 */
export class EndpointBatchBuilder {
  private patches: string[] = [];
  private records: RecordValue[] = [];
  private keys = new Set<string>();

  get size(): number {
    return this.patches.length;
  }

  add(patch: EndpointPatch): void {
    // The app and the times are the store's to fill in; a record leaves them out.
    const result = applyEndpointPatch(undefined, patch, { appId: '', at: 0 });
    // Rows that leave out their channel type or address are partial rows, never batched here.
    if (!result.ok) throw new Error(`an import batch takes patches with a ${result.field}`);
    appendEndpointRecord(this.records, result.endpoint);
    for (const key of attributeKeysOf(result.endpoint)) this.keys.add(key);
    this.patches.push(JSON.stringify(patch));
  }

  /** The batch so far; the builder starts a new one. */
  build(): EndpointBatch {
    const batch = { patches: this.patches, records: this.records, keys: [...this.keys] };
    this.patches = [];
    this.records = [];
    this.keys = new Set();
    return batch;
  }
}
