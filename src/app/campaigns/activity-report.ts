import type { CampaignActivity, SkipReason } from '../../domain/campaign.js';
import type { ActivityMessageCount } from '../../ports/campaign-metrics.js';

/** Provider failures that mean the recipient opted out (WhatsApp marketing stop, SMS STOP, Twilio 21610). */
const OPT_OUT_CODES = new Set(['131050', 'DESTINATION_PHONE_NUMBER_OPTED_OUT', '21610']);

/** Message counts of one run, or one treatment of it. `sent` counts messages the provider accepted, and so on. */
export interface DeliveryCounts {
  /** Messages enqueued. */
  queued: number;
  /** Still waiting to be sent (queued, or held for WhatsApp's window). */
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: Record<string, number>;
  expired: number;
  cancelled: number;
}

export interface TreatmentReport extends DeliveryCounts {
  readonly treatmentId: string;
  readonly endpoints: number;
  readonly skipped: Partial<Record<SkipReason, number>>;
}

/**
 * A run as the activities API shows it: the fan-out's counts (endpoints, holdout, skipped by reason) and the
 * ledger's (sent, delivered, read, failed by code), per treatment and in total. `optedOut` adds endpoints skipped
 * because they opted out to messages the provider refused for an opt-out.
 *
 * @example
 * const report = activityReport(activity, await metrics.countByActivity(campaign.id, [activity.id], { byTreatment: true }));
 */
export interface ActivityReport extends DeliveryCounts {
  readonly activity: CampaignActivity;
  readonly totalEndpoints: number;
  readonly holdout: number;
  readonly skipped: Partial<Record<SkipReason, number>>;
  readonly missingVariables: Readonly<Record<string, number>>;
  readonly optedOut: number;
  readonly treatments: TreatmentReport[];
}

export function activityReport(
  activity: CampaignActivity,
  rows: readonly ActivityMessageCount[],
  /** The run's treatments, so one that drew no endpoint shows with zeros instead of not at all. */
  treatmentIds: readonly string[] = [],
): ActivityReport {
  const total = emptyCounts();
  const byTreatment = new Map<string, DeliveryCounts>();
  let providerOptOuts = 0;
  for (const row of rows) {
    if (row.activityId !== activity.id) continue;
    const treatmentId = row.treatmentId ?? '0';
    let counts = byTreatment.get(treatmentId);
    if (!counts) {
      counts = emptyCounts();
      byTreatment.set(treatmentId, counts);
    }
    for (const target of [total, counts]) add(target, row);
    if (row.status === 'failed' && row.errorCode !== null && OPT_OUT_CODES.has(row.errorCode))
      providerOptOuts += row.count;
  }
  const { progress } = activity;
  const ids = [
    ...new Set([...treatmentIds, ...Object.keys(progress.treatments), ...byTreatment.keys()]),
  ].sort();
  return {
    activity,
    ...total,
    totalEndpoints: progress.totalEndpoints,
    holdout: progress.holdout,
    skipped: progress.skipped,
    missingVariables: progress.missingVariables,
    optedOut: (progress.skipped.opted_out ?? 0) + providerOptOuts,
    treatments: ids.map((treatmentId) => ({
      treatmentId,
      endpoints: progress.treatments[treatmentId]?.endpoints ?? 0,
      skipped: progress.treatments[treatmentId]?.skipped ?? {},
      ...(byTreatment.get(treatmentId) ?? emptyCounts()),
    })),
  };
}

function emptyCounts(): DeliveryCounts {
  return { queued: 0, pending: 0, sent: 0, delivered: 0, read: 0, failed: {}, expired: 0, cancelled: 0 };
}

function add(counts: DeliveryCounts, row: ActivityMessageCount): void {
  counts.queued += row.count;
  switch (row.status) {
    case 'queued':
    case 'awaiting_window':
      counts.pending += row.count;
      break;
    case 'read':
      counts.read += row.count;
      counts.delivered += row.count;
      counts.sent += row.count;
      break;
    case 'delivered':
      counts.delivered += row.count;
      counts.sent += row.count;
      break;
    case 'sent':
    case 'sent_for_delivery':
      counts.sent += row.count;
      break;
    case 'failed': {
      const code = row.errorCode ?? 'unknown';
      counts.failed[code] = (counts.failed[code] ?? 0) + row.count;
      break;
    }
    case 'expired':
      counts.expired += row.count;
      break;
    case 'cancelled':
      counts.cancelled += row.count;
      break;
  }
}
