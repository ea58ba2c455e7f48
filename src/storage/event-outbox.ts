import type { Kysely, Transaction } from 'kysely';
import type { HeraldEvent } from '../domain/herald-event.js';
import type { EventDelivery, EventOutbox } from '../ports/event-outbox.js';
import type { Database, DialectName } from './database.js';
import { chunk } from './values-cte.js';

const EVENT = 'event';

/** Inserts deliveries as jobs; a repeated (event, subscription) pair is ignored. Usable inside another transaction. */
export async function insertDeliveries(
  db: Kysely<Database> | Transaction<Database>,
  deliveries: readonly Omit<EventDelivery, 'attempts'>[],
  now: number,
): Promise<void> {
  for (const part of chunk(deliveries, 400)) {
    await db
      .insertInto('jobs')
      .values(
        part.map((d) => ({
          id: d.id,
          queue: EVENT,
          partition_key: d.subscriptionId,
          state: 'ready',
          message_id: null,
          recipient_hash: null,
          payload: JSON.stringify(d.event),
          run_at: now,
          locked_until: null,
          locked_by: null,
          attempts: 0,
          unique_key: `${d.event.id}:${d.subscriptionId}`,
          batch_key: null,
          created_at: now,
        })),
      )
      // The unique index is partial (send jobs have no key): PostgreSQL infers it only with its predicate.
      .onConflict((oc) => oc.column('unique_key').where('unique_key', 'is not', null).doNothing())
      .execute();
  }
}

export class KyselyEventOutbox implements EventOutbox {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  enqueue(deliveries: readonly Omit<EventDelivery, 'attempts'>[], now: number): Promise<void> {
    return insertDeliveries(this.db, deliveries, now);
  }

  async claim(options: {
    limit: number;
    now: number;
    leaseMs: number;
    workerId: string;
    skip?: readonly string[];
  }): Promise<EventDelivery[]> {
    const { now } = options;
    let candidates = this.db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', EVENT)
      .where('run_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .orderBy('run_at')
      .orderBy('id')
      .limit(options.limit);
    if (options.skip && options.skip.length > 0)
      candidates = candidates.where('partition_key', 'not in', options.skip);
    if (this.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        locked_until: now + options.leaseMs,
        locked_by: options.workerId,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', candidates)
      .returning(['id', 'partition_key', 'payload', 'attempts'])
      .execute();
    return rows
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((row) => ({
        id: row.id,
        subscriptionId: row.partition_key,
        event: JSON.parse(row.payload) as HeraldEvent,
        attempts: row.attempts,
      }));
  }

  async complete(ids: readonly string[]): Promise<void> {
    for (const part of chunk(ids, 400)) await this.db.deleteFrom('jobs').where('id', 'in', part).execute();
  }

  async defer(subscriptionId: string, until: number, now: number): Promise<number> {
    const result = await this.db
      .updateTable('jobs')
      .set({ run_at: until })
      .where('queue', '=', EVENT)
      .where('partition_key', '=', subscriptionId)
      .where('state', '=', 'ready')
      .where('run_at', '<', until)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async purge(before: number, limit: number): Promise<number> {
    const old = this.db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', EVENT)
      .where('created_at', '<', before)
      .limit(limit);
    const result = await this.db.deleteFrom('jobs').where('id', 'in', old).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async retry(id: string, runAt: number): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ run_at: runAt, locked_until: null, locked_by: null })
      .where('id', '=', id)
      .execute();
  }
}
