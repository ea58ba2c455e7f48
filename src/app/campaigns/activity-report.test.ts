import { describe, expect, it } from 'vitest';
import { type CampaignActivity, EMPTY_PROGRESS } from '../../domain/campaign.js';
import { activityReport } from './activity-report.js';

const activity: CampaignActivity = {
  appId: 'a1',
  id: 'run1',
  campaignId: 'c1',
  campaignVersion: 1,
  triggerKey: 'run:1',
  trigger: 'schedule',
  state: 'COMPLETED',
  scheduledStart: 0,
  startedAt: 0,
  endedAt: 1,
  fanOutDone: true,
  cursor: null,
  progress: {
    ...EMPTY_PROGRESS,
    totalEndpoints: 3,
    queued: 3,
    skipped: { opted_out: 1 },
    treatments: { '0': { endpoints: 3, skipped: {}, queued: 3 } },
  },
  pausedAt: null,
  createdAt: 0,
  updatedAt: 1,
};

describe('activityReport', () => {
  it('adds the ledger’s counts per treatment and shows a treatment that drew no endpoint with zeros', () => {
    const report = activityReport(
      activity,
      [
        { activityId: 'run1', treatmentId: '0', status: 'delivered', errorCode: null, count: 2 },
        { activityId: 'run1', treatmentId: '0', status: 'failed', errorCode: '21610', count: 1 },
        { activityId: 'other', treatmentId: '0', status: 'read', errorCode: null, count: 9 },
      ],
      ['0', '1'],
    );
    expect(report).toMatchObject({ totalEndpoints: 3, delivered: 2, failed: { '21610': 1 } });
    expect(report.treatments.map((t) => [t.treatmentId, t.endpoints, t.delivered])).toEqual([
      ['0', 3, 2],
      ['1', 0, 0],
    ]);
  });
});
