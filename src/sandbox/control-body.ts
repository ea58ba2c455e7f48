import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** Reads a JSON control body from the raw bytes the sandbox scope keeps; a 400 on anything else. */
export function controlBody<T>(raw: unknown, schema: z.ZodType<T>, reply: FastifyReply): T | undefined {
  let value: unknown = {};
  if (Buffer.isBuffer(raw) && raw.length > 0) {
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      reply.code(400).send({ error: { message: 'the body is not JSON' } });
      return undefined;
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    reply.code(400).send({
      error: {
        message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      },
    });
    return undefined;
  }
  return parsed.data;
}
