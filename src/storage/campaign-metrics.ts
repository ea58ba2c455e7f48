import type { Kysely } from 'kysely';
import type { MessageStatus } from '../domain/message-status.js';
import type { ActivityMessageCount, CampaignMetrics } from '../ports/campaign-metrics.js';
import type { Database } from './database.js';
import { chunk } from './values-cte.js';

/** Final statuses whose error code the counts keep. */
const CODED = ['failed', 'expired', 'cancelled'] as const;

/** Reads the ledger (`messages`) and `conversations` for campaigns; writes nothing. */
export class KyselyCampaignMetrics implements CampaignMetrics {
  constructor(private readonly db: Kysely<Database>) {}

  async countByActivity(
    campaignId: string,
    activityIds: readonly string[],
    options: { byTreatment: boolean },
  ): Promise<ActivityMessageCount[]> {
    if (activityIds.length === 0) return [];
    const out: ActivityMessageCount[] = [];
    // Statuses without a code. Without treatments this reads only messages_campaign_idx (campaign, activity,
    // status): a run of a million messages is counted without reading its rows.
    let statuses = this.db
      .selectFrom('messages')
      .select((eb) => ['activity_id', 'status', eb.fn.countAll<number>().as('n')])
      .where('campaign_id', '=', campaignId)
      .where('activity_id', 'in', [...activityIds])
      .where('status', 'not in', [...CODED])
      .groupBy(['activity_id', 'status']);
    if (options.byTreatment) statuses = statuses.select('treatment_id').groupBy('treatment_id');
    for (const row of await statuses.execute()) {
      out.push({
        activityId: row.activity_id ?? '',
        treatmentId: 'treatment_id' in row ? (row.treatment_id as string | null) : '0',
        status: row.status as MessageStatus,
        errorCode: null,
        count: Number(row.n),
      });
    }
    // Failed, expired and cancelled messages, by code: few rows, read through the same index.
    const coded = await this.db
      .selectFrom('messages')
      .select((eb) => [
        'activity_id',
        'treatment_id',
        'status',
        'error_code',
        eb.fn.countAll<number>().as('n'),
      ])
      .where('campaign_id', '=', campaignId)
      .where('activity_id', 'in', [...activityIds])
      .where('status', 'in', [...CODED])
      .groupBy(['activity_id', 'treatment_id', 'status', 'error_code'])
      .execute();
    for (const row of coded) {
      out.push({
        activityId: row.activity_id ?? '',
        treatmentId: row.treatment_id,
        status: row.status as MessageStatus,
        errorCode: row.error_code,
        count: Number(row.n),
      });
    }
    return out;
  }

  async hasPending(campaignId: string, activityId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('messages')
      .select('id')
      .where('campaign_id', '=', campaignId)
      .where('activity_id', '=', activityId)
      .where('status', 'in', ['queued', 'awaiting_window'])
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async lastInbound(senderKey: string, recipientHashes: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const part of chunk(recipientHashes, 500)) {
      const rows = await this.db
        .selectFrom('conversations')
        .select(['recipient_hash', 'last_inbound_at'])
        .where('sender_key', '=', senderKey)
        .where('recipient_hash', 'in', part)
        .where('last_inbound_at', 'is not', null)
        .execute();
      for (const row of rows) found.set(row.recipient_hash, Number(row.last_inbound_at));
    }
    return found;
  }
}
