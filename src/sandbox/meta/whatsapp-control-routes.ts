import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { controlBody } from '../control-body.js';
import { inboundSpecSchema } from './inbound-message.js';
import { sandboxTemplateSchema } from './template-registry.js';
import { INJECTABLE_FAILURES, type WhatsAppAccount, type WhatsAppEngine } from './whatsapp-engine.js';

export const whatsAppSettingsSchema = z.strictObject({
  messagesPerSecond: z.number().positive().max(100_000).optional(),
  pairBurst: z.number().int().min(1).max(1000).optional(),
  pairSecondsPerMessage: z.number().positive().max(3600).optional(),
  windowErrorMode: z.enum(['async', 'sync']).optional(),
  throttleHttpStatus: z.union([z.literal(400), z.literal(429)]).optional(),
  statusGapMs: z.number().int().min(0).max(60_000).optional(),
  readReceipts: z.boolean().optional(),
  webhookBatchMs: z.number().int().min(0).max(10_000).optional(),
});

const failureSchema = z.strictObject({
  code: z.union(INJECTABLE_FAILURES.map((c) => z.literal(c))),
  count: z.number().int().min(1).max(100_000).optional(),
  recipient: z
    .string()
    .regex(/^\+?[1-9]\d{4,14}$/)
    .optional(),
});

const templateInputSchema = sandboxTemplateSchema.extend({ wabaId: z.string().min(1).optional() });

/**
 * The control routes both WhatsApp sandboxes share, under `/<name>/_control`: simulate a user's message of any type,
 * add templates, tune an account (throughput, pair rate, 131047 sync or async) and make later messages fail, and
 * read what was accepted.
 */
export function registerWhatsAppControlRoutes(app: FastifyInstance, engine: WhatsAppEngine): void {
  const account = (phoneNumberId: string, reply: FastifyReply): WhatsAppAccount | undefined => {
    const found = engine.account(phoneNumberId);
    if (!found)
      reply.code(404).send({ error: { message: `no account with phone-number id ${phoneNumberId}` } });
    return found;
  };

  app.post('/_control/inbound', async (request, reply) => {
    const spec = controlBody(request.body, inboundSpecSchema, reply);
    if (!spec) return reply;
    const target = account(spec.phoneNumberId, reply);
    if (!target) return reply;
    return { id: engine.inbound(target, spec) };
  });

  app.post('/_control/templates', async (request, reply) => {
    const input = controlBody(request.body, templateInputSchema, reply);
    if (!input) return reply;
    const { wabaId, ...template } = input;
    reply.code(201);
    return engine.templates.add(template, wabaId);
  });

  app.put('/_control/accounts/:phoneNumberId/settings', async (request, reply) => {
    const target = account((request.params as { phoneNumberId: string }).phoneNumberId, reply);
    if (!target) return reply;
    const settings = controlBody(request.body, whatsAppSettingsSchema, reply);
    if (!settings) return reply;
    return engine.configure(target, stripUndefined(settings));
  });

  app.post('/_control/accounts/:phoneNumberId/failures', async (request, reply) => {
    const target = account((request.params as { phoneNumberId: string }).phoneNumberId, reply);
    if (!target) return reply;
    const failure = controlBody(request.body, failureSchema, reply);
    if (!failure) return reply;
    engine.injectFailures(target, stripUndefined(failure));
    return { ok: true };
  });

  app.get('/_control/messages', async (request) => {
    const { phoneNumberId } = request.query as { phoneNumberId?: string };
    return { items: engine.sent(phoneNumberId) };
  });
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
