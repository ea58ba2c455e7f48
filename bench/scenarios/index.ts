import type { BenchScenario } from '../scenario.js';
import { campaignFanoutScenario } from './campaign-fanout.js';
import { deliveryLoopScenario } from './delivery-loop.js';
import { importCsvScenario } from './import-csv.js';
import { rateAccuracyScenario } from './rate-accuracy.js';
import { segmentEstimateScenario } from './segment-estimate.js';
import { webhookIngestScenario } from './webhook-ingest.js';

/** Every scenario, in the order a full run takes them. Add new ones here. */
export const SCENARIOS: readonly BenchScenario[] = [
  importCsvScenario,
  segmentEstimateScenario,
  deliveryLoopScenario,
  rateAccuracyScenario,
  webhookIngestScenario,
  campaignFanoutScenario,
];
