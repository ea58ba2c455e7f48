import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DemoChannel, SandboxContext, SandboxProvider } from '../sandbox-provider.js';

const NAME = 'custom';
const MAX_ENDPOINTS = 50;
const MAX_BATCHES = 1000;

/**
 * One batch a receiver accepted, as the control API shows it.
 *
 * @example
 * // GET /custom/_control/receivers/demo/batches -> {"items": [{"size": 50, "endpointIds": [...], "activityId": "a-1", ...}]}
 */
export interface ReceivedBatch {
  readonly receivedAt: number;
  readonly size: number;
  readonly endpointIds: readonly string[];
  readonly data: string;
  readonly applicationId: string;
  readonly campaignId: string;
  readonly treatmentId: string;
  readonly activityId: string;
  readonly scheduledTime: string;
  /** The body exactly as parsed, to compare with Pinpoint's event. */
  readonly payload: unknown;
}

interface Receiver {
  readonly id: string;
  readonly accountId: string;
  /** The `authorization` header deliveries must carry, when set. */
  readonly authorization: string | undefined;
  readonly batches: ReceivedBatch[];
}

class ReceiverError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

const endpointSchema = z.looseObject({
  ChannelType: z.string().min(1),
  Address: z.string(),
});
const eventSchema = z.looseObject({
  Message: z.record(z.string(), z.unknown()),
  Data: z.string(),
  ApplicationId: z.string(),
  CampaignId: z.string(),
  TreatmentId: z.string(),
  ActivityId: z.string(),
  ScheduledTime: z.string(),
  Endpoints: z.record(z.string(), endpointSchema),
});
const receiverSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  authorization: z.string().min(1).max(4096).optional(),
});

/**
 * A receiver for Pinpoint custom-channel deliveries, mounted at `/custom`: `POST /custom/receivers/{id}` takes
 * Pinpoint's event (Message, Data, ApplicationId, CampaignId, TreatmentId, ActivityId, ScheduledTime, at most 50
 * Endpoints), `HEAD` on the same URL answers `X-Amz-Pinpoint-AccountId` as Pinpoint requires, injected faults
 * become 500, 429 or a late answer, and every batch is kept for the control API (`/custom/_control/receivers/{id}/batches`)
 * so tests can check payloads and batch sizes. Custom channels have no inbound path, so a simulated reply is refused.
 *
 * @example
 * // POST /custom/_control/receivers {"id": "campaigns", "authorization": "Bearer s3cret"}
 * // -> {"deliveryUri": "http://127.0.0.1:4010/custom/receivers/campaigns", "accountId": "123456789012", ...}
 */
export function createCustomSandbox(): SandboxProvider {
  const receivers = new Map<string, Receiver>();
  let context: SandboxContext | undefined;
  const ctx = (): SandboxContext => {
    if (!context) throw new Error('the custom-channel sandbox is not mounted');
    return context;
  };

  function receiverOrThrow(id: string): Receiver {
    const receiver = receivers.get(id);
    if (!receiver) throw new ReceiverError(404, `no receiver ${id} in the sandbox`);
    return receiver;
  }

  function provision(input: z.output<typeof receiverSchema>) {
    const id = input.id ?? randomBytes(6).toString('hex');
    const receiver: Receiver = {
      id,
      accountId:
        input.accountId ?? String(100_000_000_000 + (randomBytes(4).readUInt32BE() % 899_999_999_999)),
      authorization: input.authorization,
      batches: receivers.get(id)?.batches ?? [],
    };
    receivers.set(id, receiver);
    return describeReceiver(receiver);
  }

  function describeReceiver(receiver: Receiver) {
    return {
      id: receiver.id,
      deliveryUri: `${ctx().publicUrl()}/${NAME}/receivers/${receiver.id}`,
      accountId: receiver.accountId,
      authorization: receiver.authorization ?? null,
      batches: receiver.batches.length,
    };
  }

  function checkAuthorization(receiver: Receiver, request: FastifyRequest): void {
    if (receiver.authorization === undefined) return;
    const given = request.headers.authorization;
    if (given === undefined) throw new ReceiverError(401, 'missing authorization');
    if (given !== receiver.authorization) throw new ReceiverError(403, 'authorization rejected');
  }

  return {
    name: NAME,
    title: 'Custom channel receiver (Pinpoint)',

    routes(app: FastifyInstance, sandboxContext: SandboxContext) {
      context = sandboxContext;
      app.setErrorHandler((error, _request, reply) => {
        const status =
          error instanceof ReceiverError
            ? error.statusCode
            : ((error as { statusCode?: number }).statusCode ?? 500);
        const problems = error instanceof ReceiverError ? error.problems : [];
        // A throttled receiver says when to come back, as a well-behaved HTTP service does.
        if (status === 429) reply.header('retry-after', '2');
        reply.code(status).send({
          message: error instanceof Error ? error.message : String(error),
          ...(problems.length > 0 ? { problems } : {}),
        });
      });

      app.route({
        method: 'HEAD',
        url: '/receivers/:id',
        handler: async (request, reply) => {
          const receiver = receiverOrThrow((request.params as { id: string }).id);
          return reply.header('x-amz-pinpoint-accountid', receiver.accountId).code(200).send();
        },
      });

      app.post('/receivers/:id', async (request, reply) => {
        const receiver = receiverOrThrow((request.params as { id: string }).id);
        checkAuthorization(receiver, request);
        const parsed = eventSchema.safeParse(request.body);
        if (!parsed.success) {
          throw new ReceiverError(
            400,
            'not a Pinpoint custom-channel event',
            parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
          );
        }
        const event = parsed.data;
        const endpointIds = Object.keys(event.Endpoints);
        if (endpointIds.length === 0 || endpointIds.length > MAX_ENDPOINTS) {
          throw new ReceiverError(
            400,
            `Endpoints: Pinpoint sends 1 to ${MAX_ENDPOINTS} endpoints per batch, this one has ${endpointIds.length}`,
          );
        }

        const decision = ctx().faults.decide(NAME);
        if (decision.latencyMs > 0) await sleep(decision.latencyMs);
        if (decision.kind === 'error') throw new ReceiverError(500, 'the receiver failed (injected fault)');
        if (decision.kind === 'throttle') throw new ReceiverError(429, 'too many requests (injected fault)');

        const at = ctx().clock.now();
        receiver.batches.push({
          receivedAt: at,
          size: endpointIds.length,
          endpointIds,
          data: event.Data,
          applicationId: event.ApplicationId,
          campaignId: event.CampaignId,
          treatmentId: event.TreatmentId,
          activityId: event.ActivityId,
          scheduledTime: event.ScheduledTime,
          payload: request.body,
        });
        if (receiver.batches.length > MAX_BATCHES)
          receiver.batches.splice(0, receiver.batches.length - MAX_BATCHES);
        for (const endpointId of endpointIds) {
          const address = event.Endpoints[endpointId]?.Address || endpointId;
          const tag = `${event.ActivityId}:${endpointId}`;
          ctx().counters.record(NAME, receiver.id, address, tag);
          ctx().phones.record(NAME, receiver.id, address, {
            at,
            direction: 'out',
            summary: event.Data.length > 200 ? `${event.Data.slice(0, 199)}…` : event.Data,
            providerMessageId: tag,
          });
        }
        if (decision.kind === 'timeout') await sleep(decision.hangMs);
        return reply.code(200).send({ received: endpointIds.length });
      });

      app.post('/_control/receivers', async (request, reply) => {
        const parsed = receiverSchema.safeParse(request.body ?? {});
        if (!parsed.success) {
          throw new ReceiverError(
            400,
            'invalid receiver',
            parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
          );
        }
        reply.code(201);
        return provision(parsed.data);
      });
      app.get('/_control/receivers/:id', async (request) =>
        describeReceiver(receiverOrThrow((request.params as { id: string }).id)),
      );
      app.get('/_control/receivers/:id/batches', async (request) => ({
        items: receiverOrThrow((request.params as { id: string }).id).batches,
      }));
      app.delete('/_control/receivers/:id/batches', async (request) => {
        receiverOrThrow((request.params as { id: string }).id).batches.length = 0;
        return {};
      });
    },

    async simulateInbound() {
      throw new ReceiverError(
        400,
        'custom channels carry no messages from users: Pinpoint’s custom-channel contract only delivers',
      );
    },

    reset() {
      for (const receiver of receivers.values()) receiver.batches.length = 0;
    },

    async demoChannel(): Promise<DemoChannel> {
      const authorization = `Bearer ${randomBytes(16).toString('hex')}`;
      const receiver = provision({ id: 'demo', authorization });
      return {
        channelId: NAME,
        provider: 'custom',
        sender: { name: 'sandbox-receiver' },
        credentials: { headers: { authorization } },
        options: { deliveryUri: receiver.deliveryUri },
        demoUsers: ['demo-user-1', 'demo-user-2'],
      };
    },
  };
}
