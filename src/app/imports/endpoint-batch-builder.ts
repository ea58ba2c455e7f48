import type { EndpointPatch } from '../../domain/endpoint-patch.js';
import { appendNewEndpointRecord, type RecordValue } from '../../domain/endpoint-record.js';
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
  private names = newNames();

  get size(): number {
    return this.patches.length;
  }

  add(patch: EndpointPatch): void {
    // Rows that leave out their channel type or address are partial rows, never batched here.
    if (!appendNewEndpointRecord(this.records, patch, this.names))
      throw new Error('an import batch takes patches with a channel type and an address');
    this.patches.push(JSON.stringify(patch));
  }

  /** The batch so far; the builder starts a new one. */
  build(): EndpointBatch {
    const keys: string[] = [];
    for (const name of this.names.attributes) keys.push(`attributes\u0000${name}`);
    for (const name of this.names.metrics) keys.push(`metrics\u0000${name}`);
    for (const name of this.names.userAttributes) keys.push(`userAttributes\u0000${name}`);
    const batch = {
      count: this.patches.length,
      patches: `[${this.patches.join(',')}]`,
      records: this.records,
      keys,
    };
    this.patches = [];
    this.records = [];
    this.names = newNames();
    return batch;
  }
}

function newNames() {
  return { attributes: new Set<string>(), metrics: new Set<string>(), userAttributes: new Set<string>() };
}
