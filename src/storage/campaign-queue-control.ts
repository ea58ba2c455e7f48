import type { Kysely } from 'kysely';
import { allowedFrom } from '../domain/message-status.js';
import type { CampaignQueueControl } from '../ports/campaign-queue-control.js';
import type { Database } from './database.js';

/** A paused campaign job: the send queue claims only `ready` jobs, so these wait untouched. */
const PAUSED = 'paused';

/**
 * Pauses, resumes and ends a run's unsent messages directly in the queue tables (`jobs`, `messages`,
 * `message_events`), each in one statement or transaction, so a worker claiming at the same moment either
 * claims a job first (and sends it) or never sees it.
 */
export class KyselyCampaignQueueControl implements CampaignQueueControl {
  constructor(private readonly db: Kysely<Database>) {}

  async pause(activityId: string, now: number): Promise<number> {
    const result = await this.db
      .updateTable('jobs')
      .set({ state: PAUSED })
      .where('state', '=', 'ready')
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .where('message_id', 'in', this.messagesOf(activityId))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async resume(activityId: string, shiftMs: number): Promise<number> {
    const result = await this.db
      .updateTable('jobs')
      .set((eb) => ({ state: 'ready', run_at: eb('run_at', '+', Math.max(0, Math.round(shiftMs))) }))
      .where('state', '=', PAUSED)
      .where('message_id', 'in', this.messagesOf(activityId))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async end(
    activityId: string,
    status: 'cancelled' | 'expired',
    error: { code: string; message: string },
    now: number,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      // Jobs a worker holds right now are being sent: leave those (and their messages) alone.
      const jobs = await trx
        .deleteFrom('jobs')
        .where('message_id', 'in', this.messagesOf(activityId))
        .where('state', 'in', ['ready', 'held', PAUSED])
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .returning('message_id')
        .execute();
      const ids = jobs.map((j) => j.message_id).filter((id): id is string => id !== null);
      let ended = 0;
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500);
        const moved = await trx
          .updateTable('messages')
          .set({ status, error_code: error.code, error_message: error.message, updated_at: now })
          .where('id', 'in', part)
          .where('status', 'in', [...allowedFrom(status)])
          .returning('id')
          .execute();
        if (moved.length === 0) continue;
        ended += moved.length;
        await trx
          .insertInto('message_events')
          .values(moved.map((m) => ({ message_id: m.id, at: now, status, error_code: error.code })))
          .execute();
      }
      return ended;
    });
  }

  private messagesOf(activityId: string) {
    return this.db
      .selectFrom('messages')
      .select('id')
      .where('activity_id', '=', activityId)
      .where('status', 'in', ['queued', 'awaiting_window']);
  }
}
