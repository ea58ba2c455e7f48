import { z } from 'zod';
import type { ActivityReport, TreatmentReport } from '../../app/campaigns/activity-report.js';
import type { CampaignInput } from '../../app/campaigns/save-campaign.js';
import { ZONE_NAME_RULE, zoneName } from '../../app/zone-name.js';
import {
  CAMPAIGN_FREQUENCIES,
  CAMPAIGN_STATES,
  type Campaign,
  type CampaignMessage,
  type CampaignSchedule,
  SKIP_REASONS,
} from '../../domain/campaign.js';
import { CHANNEL_TYPES } from '../../domain/channel-type.js';
import { parseInstant } from '../../domain/instant.js';
import { ATTRIBUTE_TYPES, COMPARISON_OPERATORS } from '../../domain/segment.js';
import { toIso } from './common.js';
import { toMappings, variableMapping } from './template.js';

const instant = z
  .string()
  .refine((v) => parseInstant(v) !== undefined, 'an ISO 8601 date-time, e.g. 2026-11-21T09:00:00Z')
  .describe('ISO 8601; without an offset, UTC.');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00 to 23:59');
const defaults = z.record(z.string().min(1).max(200), z.string().max(1000));

const customMessage = z.strictObject({
  channelType: z.literal('CUSTOM'),
  deliveryUri: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional()
    .describe('An HTTP receiver: it must answer HEAD with X-Amz-Pinpoint-AccountId, as for Pinpoint.'),
  functionName: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .optional()
    .describe('A function the administrator registered in herald.config.json customFunctions.'),
  channelId: z.string().min(1).max(64).optional().describe('Or one of the app’s custom channels.'),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(4096))
    .optional()
    .describe('Sent with each delivery to deliveryUri (e.g. authorization); stored sealed, never returned.'),
  endpointTypes: z.array(z.enum(CHANNEL_TYPES)).min(1).max(CHANNEL_TYPES.length),
  data: z.string().max(5120).describe('Pinpoint’s CustomMessage.Data, handed to the receiver as is.'),
});

const channelMessage = z.strictObject({
  channelType: z.enum(['WHATSAPP', 'SMS', 'LINE']),
  channelId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('The app’s first channel of the type when left out.'),
  templateId: z.string().min(1).max(64).optional(),
  templateVersion: z.number().int().positive().optional().describe('The latest at each run when left out.'),
  language: z.string().min(2).max(15).optional().describe('WhatsApp: always this language.'),
  fallbackLanguage: z
    .string()
    .min(2)
    .max(15)
    .optional()
    .describe('WhatsApp: when the endpoint’s locale has no translation.'),
  variables: z
    .record(z.string().min(1).max(200), variableMapping)
    .optional()
    .describe('WhatsApp templates: each variable -> an endpoint field (with a default) or a value.'),
  text: z.string().min(1).max(4096).optional().describe('With {{...}} placeholders naming endpoint fields.'),
  media: z
    .strictObject({
      type: z.enum(['image', 'audio', 'video', 'document']),
      url: z.string().min(1).max(2000),
      caption: z.string().min(1).max(1024).optional(),
      filename: z.string().max(240).optional(),
      durationMs: z.number().int().positive().optional(),
      previewUrl: z.string().min(1).max(2000).optional(),
    })
    .optional(),
  defaults: defaults.optional().describe('Values for placeholders an endpoint does not fill.'),
});

export const campaignMessageSchema = z
  .discriminatedUnion('channelType', [customMessage, channelMessage])
  .superRefine((m, ctx) => {
    if (m.channelType === 'CUSTOM') {
      const given = [m.deliveryUri, m.functionName, m.channelId].filter((v) => v !== undefined).length;
      if (given !== 1)
        ctx.addIssue({
          code: 'custom',
          path: ['deliveryUri'],
          message: 'give one of deliveryUri, functionName and channelId',
        });
      if (m.headers && m.deliveryUri === undefined)
        ctx.addIssue({ code: 'custom', path: ['headers'], message: 'headers go with deliveryUri' });
      return;
    }
    const inline = m.text !== undefined || m.media !== undefined;
    if ((m.templateId !== undefined) === inline)
      ctx.addIssue({ code: 'custom', path: ['templateId'], message: 'give templateId, or text or media' });
    if (inline && (m.variables || m.templateVersion || m.language || m.fallbackLanguage))
      ctx.addIssue({
        code: 'custom',
        path: ['variables'],
        message: 'variables and languages go with templateId',
      });
  })
  .meta({
    id: 'CampaignMessage',
    description:
      'A template (`templateId`, with `variables` for WhatsApp), text or media written here, or a custom delivery (`channelType: CUSTOM`).',
  });

const setDimension = z.strictObject({
  dimensionType: z.enum(['INCLUSIVE', 'EXCLUSIVE']).default('INCLUSIVE'),
  values: z.array(z.string().min(1).max(100)).min(1).max(100),
});

const schedule = z
  .strictObject({
    startTime: z.union([z.literal('IMMEDIATE'), instant]).default('IMMEDIATE'),
    frequency: z.enum(CAMPAIGN_FREQUENCIES).default('ONCE'),
    endTime: instant.optional(),
    isLocalTime: z
      .boolean()
      .default(false)
      .describe('Send at startTime’s wall-clock time in each endpoint’s zone.'),
    timezone: z
      .string()
      .max(64)
      .refine((v) => zoneName(v) !== undefined, ZONE_NAME_RULE)
      .optional()
      .describe(
        'The wall clock of startTime for local time, and the zone of endpoints that have none. UTC by default.',
      ),
    quietTime: z
      .strictObject({ start: hhmm, end: hhmm })
      .optional()
      .describe('In each endpoint’s zone: messages due inside are sent at `end`, not dropped.'),
    eventFilter: z
      .strictObject({
        eventType: setDimension.optional(),
        attributes: z
          .record(
            z.string().min(1).max(50),
            z.strictObject({
              attributeType: z.enum(ATTRIBUTE_TYPES).default('INCLUSIVE'),
              values: z.array(z.string().min(1).max(100)).min(1).max(100),
            }),
          )
          .optional(),
        metrics: z
          .record(
            z.string().min(1).max(50),
            z.strictObject({ comparisonOperator: z.enum(COMPARISON_OPERATORS), value: z.number() }),
          )
          .optional(),
      })
      .optional()
      .describe('EVENT campaigns: which events trigger a message (every event when left out).'),
  })
  .superRefine((s, ctx) => {
    if (s.isLocalTime && s.startTime === 'IMMEDIATE')
      ctx.addIssue({ code: 'custom', path: ['startTime'], message: 'local time needs a start time' });
    if (s.eventFilter && s.frequency !== 'EVENT')
      ctx.addIssue({
        code: 'custom',
        path: ['eventFilter'],
        message: 'eventFilter goes with frequency EVENT',
      });
    if (s.endTime !== undefined && s.startTime !== 'IMMEDIATE') {
      if ((parseInstant(s.endTime) ?? 0) <= (parseInstant(s.startTime) ?? 0))
        ctx.addIssue({ code: 'custom', path: ['endTime'], message: 'must be after startTime' });
    }
  });

const limits = z.strictObject({
  messagesPerSecond: z
    .number()
    .int()
    .min(1)
    .max(20_000)
    .optional()
    .describe('The campaign’s own pace; at most its channel’s rate.'),
  daily: z.number().int().min(1).max(100).optional().describe('Messages per endpoint in 24 hours.'),
  total: z.number().int().min(1).max(100).optional().describe('Messages per endpoint over the campaign.'),
  maximumDuration: z
    .number()
    .int()
    .min(60)
    .optional()
    .describe('Seconds after its scheduled time after which a message is no longer sent.'),
});

const treatment = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  sizePercent: z.number().int().min(1).max(100),
  message: campaignMessageSchema,
});

const campaignFields = {
  name: z.string().min(1).max(200),
  description: z.string().max(1000).optional(),
  segmentId: z.string().min(1).max(64),
  segmentVersion: z.number().int().positive().optional().describe('The latest at each run when left out.'),
  message: campaignMessageSchema.optional().describe('The message, when the campaign has one treatment.'),
  treatments: z
    .array(treatment)
    .min(1)
    .max(5)
    .optional()
    .describe('1-5 treatments (ids "0".."4" in order) whose sizePercent add up to 100; or give `message`.'),
  schedule: schedule.default({ startTime: 'IMMEDIATE', frequency: 'ONCE', isLocalTime: false }),
  limits: limits.default({}),
  holdoutPercent: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(0)
    .describe('Share of the segment that gets nothing.'),
};

function refineTreatments(
  body: {
    message?: unknown;
    treatments?: { sizePercent: number; message: { channelType: string } }[] | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if ((body.message === undefined) === (body.treatments === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['message'], message: 'give message, or treatments' });
    return;
  }
  if (body.treatments) {
    const sum = body.treatments.reduce((n, t) => n + t.sizePercent, 0);
    if (sum !== 100)
      ctx.addIssue({
        code: 'custom',
        path: ['treatments'],
        message: `sizePercent must add up to 100 (got ${sum})`,
      });
    const types = new Set(body.treatments.map((t) => t.message.channelType));
    if (types.size > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['treatments'],
        message: 'every treatment sends on the same channel type',
      });
  }
}

export const campaignBody = z.strictObject(campaignFields).superRefine(refineTreatments);

type CampaignBody = z.output<typeof campaignBody>;

export function toCampaignInput(body: CampaignBody): CampaignInput {
  const treatments = body.treatments ?? [
    { sizePercent: 100, message: body.message as CampaignBody['message'] },
  ];
  const s = body.schedule;
  const scheduleOut: CampaignSchedule = {
    startTime: s.startTime === 'IMMEDIATE' ? 'IMMEDIATE' : (parseInstant(s.startTime) as number),
    frequency: s.frequency,
    isLocalTime: s.isLocalTime,
    ...(s.endTime === undefined ? {} : { endTime: parseInstant(s.endTime) as number }),
    ...(s.timezone === undefined ? {} : { timezone: s.timezone }),
    ...(s.quietTime ? { quietTime: s.quietTime } : {}),
    ...(s.eventFilter ? { eventFilter: stripUndefined(s.eventFilter) } : {}),
  };
  return {
    name: body.name,
    ...(body.description === undefined ? {} : { description: body.description }),
    segmentId: body.segmentId,
    ...(body.segmentVersion === undefined ? {} : { segmentVersion: body.segmentVersion }),
    treatments: treatments.map((t, index) => ({
      id: String(index),
      ...('name' in t && t.name !== undefined ? { name: t.name } : {}),
      sizePercent: t.sizePercent,
      message: toMessage(t.message as NonNullable<CampaignBody['message']>),
    })),
    schedule: scheduleOut,
    limits: stripUndefined(body.limits),
    holdoutPercent: body.holdoutPercent,
  };
}

function toMessage(m: NonNullable<CampaignBody['message']>): CampaignMessage {
  if (m.channelType === 'CUSTOM') return stripUndefined({ ...m }) as CampaignMessage;
  const { media, variables, ...rest } = m;
  return stripUndefined({
    ...rest,
    ...(variables ? { variables: toMappings(variables) } : {}),
    ...(media ? { media: stripUndefined({ ...media, mediaType: media.type, type: undefined }) } : {}),
  }) as CampaignMessage;
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

export const campaignJson = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    segmentId: z.string(),
    segmentVersion: z.number().int().optional(),
    treatments: z.array(
      z.object({
        id: z.string(),
        name: z.string().optional(),
        sizePercent: z.number(),
        message: z.unknown(),
      }),
    ),
    schedule: z.record(z.string(), z.unknown()),
    limits: z.record(z.string(), z.number()),
    holdoutPercent: z.number(),
    state: z.enum(CAMPAIGN_STATES),
    version: z.number().int(),
    nextRunAt: z
      .string()
      .nullable()
      .describe('When the next run starts (EVENT: when the campaign next changes state).'),
    runs: z.number().int().describe('Scheduled runs so far.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Campaign' });

export function toCampaignJson(campaign: Campaign): z.input<typeof campaignJson> {
  const s = campaign.schedule;
  return {
    id: campaign.id,
    name: campaign.name,
    ...(campaign.description === undefined ? {} : { description: campaign.description }),
    segmentId: campaign.segmentId,
    ...(campaign.segmentVersion === undefined ? {} : { segmentVersion: campaign.segmentVersion }),
    treatments: campaign.treatments.map((t) => ({
      id: t.id,
      ...(t.name === undefined ? {} : { name: t.name }),
      sizePercent: t.sizePercent,
      message: messageJson(t.message),
    })),
    schedule: {
      ...s,
      startTime: s.startTime === 'IMMEDIATE' ? 'IMMEDIATE' : toIso(s.startTime),
      ...(s.endTime === undefined ? {} : { endTime: toIso(s.endTime) }),
    },
    limits: { ...campaign.limits },
    holdoutPercent: campaign.holdoutPercent,
    state: campaign.state,
    version: campaign.version,
    nextRunAt: campaign.nextRunAt === null ? null : toIso(campaign.nextRunAt),
    runs: campaign.runs,
    createdAt: toIso(campaign.createdAt),
    updatedAt: toIso(campaign.updatedAt),
  };
}

function messageJson(message: CampaignMessage): Record<string, unknown> {
  if ('media' in message && message.media) {
    const { mediaType, ...media } = message.media;
    return { ...message, media: { type: mediaType, ...media } };
  }
  return { ...message };
}

const skipped = z.record(z.string(), z.number().int()).describe(`By reason: ${SKIP_REASONS.join(', ')}.`);
const deliveryCounts = {
  queued: z.number().int().describe('Messages enqueued.'),
  pending: z.number().int().describe('Not sent yet (queued, or waiting for WhatsApp’s window).'),
  sent: z.number().int().describe('Accepted by the provider.'),
  delivered: z.number().int(),
  read: z.number().int(),
  failed: z.record(z.string(), z.number().int()).describe('Failed messages by error code.'),
  expired: z.number().int(),
  cancelled: z.number().int(),
};

export const activityJson = z
  .object({
    id: z.string(),
    campaignId: z.string(),
    trigger: z.enum(['schedule', 'event']),
    state: z.string(),
    result: z.enum(['SUCCESS', 'FAIL']).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    scheduledStart: z.string(),
    start: z.string().nullable(),
    end: z.string().nullable(),
    totalEndpoints: z.number().int().describe('Endpoints of the segment the run went through.'),
    holdout: z.number().int(),
    skipped: skipped.describe('Endpoints that got no message, by reason.'),
    missingVariables: z
      .record(z.string(), z.number().int())
      .describe('Placeholders that had no value, by name.'),
    optedOut: z.number().int(),
    fanOutDone: z.boolean(),
    ...deliveryCounts,
    treatments: z.array(
      z.object({ treatmentId: z.string(), endpoints: z.number().int(), skipped, ...deliveryCounts }),
    ),
  })
  .meta({ id: 'CampaignActivity' });

export function toActivityJson(report: ActivityReport): z.input<typeof activityJson> {
  const { activity } = report;
  const ended = activity.state === 'COMPLETED' || activity.state === 'CANCELLED';
  return {
    id: activity.id,
    campaignId: activity.campaignId,
    trigger: activity.trigger,
    state: activity.state,
    ...(ended
      ? { result: activity.progress.error || activity.state === 'CANCELLED' ? 'FAIL' : 'SUCCESS' }
      : {}),
    ...(activity.progress.error ? { error: activity.progress.error } : {}),
    scheduledStart: toIso(activity.scheduledStart),
    start: activity.startedAt === null ? null : toIso(activity.startedAt),
    end: activity.endedAt === null ? null : toIso(activity.endedAt),
    totalEndpoints: report.totalEndpoints,
    holdout: report.holdout,
    skipped: report.skipped,
    missingVariables: report.missingVariables,
    optedOut: report.optedOut,
    fanOutDone: activity.fanOutDone,
    ...counts(report),
    treatments: report.treatments.map((t: TreatmentReport) => ({
      treatmentId: t.treatmentId,
      endpoints: t.endpoints,
      skipped: t.skipped,
      ...counts(t),
    })),
  };
}

function counts(c: ActivityReport | TreatmentReport) {
  return {
    queued: c.queued,
    pending: c.pending,
    sent: c.sent,
    delivered: c.delivered,
    read: c.read,
    failed: c.failed,
    expired: c.expired,
    cancelled: c.cancelled,
  };
}

export const eventsBody = z
  .array(
    z.strictObject({
      endpointId: z.string().min(1).max(256),
      eventType: z.string().min(1).max(50),
      attributes: z.record(z.string().min(1).max(50), z.string().max(200)).default({}),
      metrics: z.record(z.string().min(1).max(50), z.number()).default({}),
      timestamp: instant.optional().describe('When it happened; now when left out.'),
    }),
  )
  .min(1)
  .max(100)
  .meta({ id: 'EndpointEvents' });
