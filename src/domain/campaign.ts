import type { ChannelType } from './channel-type.js';
import type { AttributeDimension, MetricDimension, SetDimension } from './segment.js';
import type { VariableMapping } from './template.js';

/**
 * A campaign (Pinpoint's, in camelCase): a segment, one message per treatment, a schedule and limits. Each run is an
 * activity (`CampaignActivity`); every message a run sends is a ledger row keyed by (activity, endpoint).
 *
 * @example
 * const campaign: CampaignDefinition = {
 *   name: 'Spring promo', segmentId: '01J...', holdoutPercent: 10,
 *   treatments: [{ id: '0', sizePercent: 100, message: { channelType: 'SMS', text: 'Hi {{User.UserAttributes.FirstName}}', defaults: {} } }],
 *   schedule: { startTime: 'IMMEDIATE', frequency: 'ONCE', isLocalTime: false },
 *   limits: {},
 * };
 */
export interface CampaignDefinition {
  readonly name: string;
  readonly description?: string;
  readonly segmentId: string;
  /** Pinned segment version; the latest at each run when absent. */
  readonly segmentVersion?: number;
  /** 1-5 treatments whose `sizePercent` add up to 100; ids are "0".."4" in order. */
  readonly treatments: readonly CampaignTreatment[];
  readonly schedule: CampaignSchedule;
  readonly limits: CampaignLimits;
  /** Share of the segment (0-100) that receives nothing, for comparison. */
  readonly holdoutPercent: number;
}

export interface Campaign extends CampaignDefinition {
  readonly appId: string;
  readonly id: string;
  /** Bumped by every update. */
  readonly version: number;
  readonly state: CampaignState;
  /** When the scheduler next creates a run (or, for EVENT campaigns, next changes state); null when none is due. */
  readonly nextRunAt: number | null;
  /** Scheduled runs created so far. */
  readonly runs: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * - SCHEDULED: waiting for its first run (EVENT: for its start time).
 * - EXECUTING: a run is sending (EVENT: listening for events).
 * - PENDING_NEXT_RUN: a recurring campaign between runs.
 * - PAUSED, CANCELLED, COMPLETED.
 */
export const CAMPAIGN_STATES = [
  'SCHEDULED',
  'EXECUTING',
  'PENDING_NEXT_RUN',
  'PAUSED',
  'CANCELLED',
  'COMPLETED',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export interface CampaignTreatment {
  /** "0".."4", by position. */
  readonly id: string;
  readonly name?: string;
  readonly sizePercent: number;
  readonly message: CampaignMessage;
}

export type CampaignMessage = TemplateCampaignMessage | InlineCampaignMessage | CustomCampaignMessage;

/** A stored template: a WhatsApp template, or a text/media template. */
export interface TemplateCampaignMessage {
  readonly channelType: 'WHATSAPP' | 'SMS' | 'LINE';
  readonly channelId?: string;
  readonly templateId: string;
  /** The latest version at each run when absent. */
  readonly templateVersion?: number;
  /** WhatsApp: the language to send; by default the endpoint's locale (`es_MX`, then `es`), then `fallbackLanguage`. */
  readonly language?: string;
  readonly fallbackLanguage?: string;
  /** WhatsApp: each template variable's value. */
  readonly variables?: Readonly<Record<string, VariableMapping>>;
  /** Text templates: defaults over the template's own. */
  readonly defaults?: Readonly<Record<string, string>>;
}

/** Text and/or media written in the campaign, with `{{...}}` personalisation. */
export interface InlineCampaignMessage {
  readonly channelType: 'WHATSAPP' | 'SMS' | 'LINE';
  readonly channelId?: string;
  readonly text?: string;
  readonly media?: {
    readonly mediaType: 'image' | 'audio' | 'video' | 'document';
    readonly url: string;
    readonly caption?: string;
    readonly filename?: string;
    readonly durationMs?: number;
    readonly previewUrl?: string;
  };
  readonly defaults?: Readonly<Record<string, string>>;
}

/**
 * A Pinpoint custom delivery: the receiver gets Pinpoint's custom-channel event in batches of up to 50 endpoints.
 * With `deliveryUri` or `functionName` the campaign manages a custom channel of its own
 * (`campaign-<id>-<treatment>`, see `managed-channel.ts`); with `channelId` it uses one of the app's custom channels.
 */
export interface CustomCampaignMessage {
  readonly channelType: 'CUSTOM';
  readonly deliveryUri?: string;
  readonly functionName?: string;
  readonly channelId?: string;
  /** Headers sent with each delivery to `deliveryUri` (protect the receiver with a secret). Never returned. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Only endpoints of these channel types are delivered (Pinpoint's EndpointTypes). */
  readonly endpointTypes: readonly ChannelType[];
  /** Pinpoint's `CustomMessage.Data`. */
  readonly data: string;
}

export const CAMPAIGN_FREQUENCIES = ['ONCE', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'EVENT'] as const;
export type CampaignFrequency = (typeof CAMPAIGN_FREQUENCIES)[number];

export interface CampaignSchedule {
  /** `IMMEDIATE`, or epoch ms. */
  readonly startTime: 'IMMEDIATE' | number;
  readonly frequency: CampaignFrequency;
  /** No run starts after it (EVENT: no event triggers after it). */
  readonly endTime?: number;
  /** Send at the start time's wall-clock time in each endpoint's time zone. */
  readonly isLocalTime: boolean;
  /** IANA zone or `UTC+05:30`: the wall clock of `startTime`, and the zone of endpoints that have none. */
  readonly timezone?: string;
  /** `HH:MM` in the endpoint's time zone: messages due inside are deferred to `end`. */
  readonly quietTime?: { readonly start: string; readonly end: string };
  /** EVENT campaigns: which events trigger a message. */
  readonly eventFilter?: CampaignEventFilter;
}

export interface CampaignEventFilter {
  readonly eventType?: SetDimension;
  readonly attributes?: Readonly<Record<string, AttributeDimension>>;
  readonly metrics?: Readonly<Record<string, MetricDimension>>;
}

export interface CampaignLimits {
  /** The campaign's own pace (never above its channel's rate, which the sender enforces anyway). */
  readonly messagesPerSecond?: number;
  /** Messages one endpoint may get from this campaign in 24 hours. */
  readonly daily?: number;
  /** Messages one endpoint may get from this campaign, ever. */
  readonly total?: number;
  /** Seconds after an endpoint's scheduled time after which its message is no longer sent. */
  readonly maximumDuration?: number;
}

/** Pinpoint's ActivityResponse states. */
export const ACTIVITY_STATES = ['PENDING', 'RUNNING', 'PAUSED', 'CANCELLED', 'COMPLETED'] as const;
export type ActivityState = (typeof ACTIVITY_STATES)[number];

/** Why an endpoint of the segment got no message in a run. */
export const SKIP_REASONS = [
  'opted_out',
  'other_channel',
  'invalid_address',
  'missing_variable',
  'window_closed',
  'daily_limit',
  'total_limit',
  'maximum_duration',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** What a run's fan-out counted, saved with its cursor after every page so a resumed run counts each endpoint once. */
export interface FanOutProgress {
  readonly totalEndpoints: number;
  readonly holdout: number;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  /** Placeholders that were missing, by name. */
  readonly missingVariables: Readonly<Record<string, number>>;
  readonly queued: number;
  /** Per treatment id: endpoints assigned, skipped by reason, queued. */
  readonly treatments: Readonly<
    Record<
      string,
      {
        readonly endpoints: number;
        readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
        readonly queued: number;
      }
    >
  >;
  /** Send slots already given out, for `messagesPerSecond` (see SlotBook). */
  readonly slots: readonly (readonly [number, number])[];
  /** The latest time a queued message of the run may still be sent (`maximumDuration`). */
  readonly deadline?: number;
  /** Event-triggered runs: the endpoints the events named (only those of the segment among them are messaged). */
  readonly targets?: readonly string[];
  /** Why the run stopped early (its segment or template is gone). */
  readonly error?: { readonly code: string; readonly message: string };
}

export const EMPTY_PROGRESS: FanOutProgress = {
  totalEndpoints: 0,
  holdout: 0,
  skipped: {},
  missingVariables: {},
  queued: 0,
  treatments: {},
  slots: [],
};

/** One run of a campaign. */
export interface CampaignActivity {
  readonly appId: string;
  readonly id: string;
  readonly campaignId: string;
  /** The campaign version the run uses. */
  readonly campaignVersion: number;
  /** `run:<n>` for scheduled runs, `event:<id>` for event-triggered ones: unique per campaign. */
  readonly triggerKey: string;
  readonly trigger: 'schedule' | 'event';
  readonly state: ActivityState;
  /** The run's nominal start: its schedule time, or the event time. */
  readonly scheduledStart: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  /** The fan-out has gone through the whole audience. */
  readonly fanOutDone: boolean;
  /** The last endpoint id the fan-out handled. */
  readonly cursor: string | null;
  readonly progress: FanOutProgress;
  /** When the run was paused (its queued messages move on by the pause when resumed). */
  readonly pausedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}
