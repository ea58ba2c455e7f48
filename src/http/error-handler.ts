import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_CODES, type ErrorCode, type ErrorDetail, HeraldError } from '../domain/errors.js';

interface ZodValidationEntry {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Turns every error into Herald's envelope: a registry code, a message and, where one field is at fault, its
 * path (`items[3].address`). Unknown errors are logged and become HERALD_INTERNAL without internals leaking.
 */
export function errorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const herald = toHeraldError(error);
  if (herald.code === 'HERALD_INTERNAL') {
    request.log.error({ err: error }, 'unhandled error');
  } else if (herald.code === 'HERALD_UNAVAILABLE' && herald.cause !== undefined) {
    // The client hears only "unavailable"; the operator needs the reason (refused, reset, shutting down...).
    request.log.error({ err: herald.cause }, 'the database is unavailable');
  }
  sendError(reply, herald);
}

export function sendError(reply: FastifyReply, error: HeraldError): void {
  const body: { code: ErrorCode; message: string; field?: string; details?: readonly ErrorDetail[] } = {
    code: error.code,
    message: error.message,
  };
  if (error.field !== undefined) body.field = error.field;
  if (error.details !== undefined) body.details = error.details;
  reply.code(ERROR_CODES[error.code].status).type('application/json').send({ error: body });
}

export function toHeraldError(error: unknown): HeraldError {
  if (error instanceof HeraldError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? 'body';
    return fromValidation(error.validation as unknown as ZodValidationEntry[], context);
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HeraldError(
        'HERALD_PAYLOAD_TOO_LARGE',
        'the request body is larger than the configured limit',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HeraldError(
        'HERALD_UNSUPPORTED_MEDIA_TYPE',
        fastifyError.message ?? 'unsupported Content-Type',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HeraldError('HERALD_MALFORMED_BODY', fastifyError.message ?? 'the body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HeraldError('HERALD_MALFORMED_BODY', 'Content-Length does not match the body');
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new HeraldError('HERALD_MALFORMED_BODY', `the body is not valid JSON: ${error.message}`);
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode === 413) {
    return new HeraldError(
      'HERALD_PAYLOAD_TOO_LARGE',
      'the request body is larger than the configured limit',
    );
  }
  return new HeraldError('HERALD_INTERNAL', 'internal error', { cause: error });
}

function fromValidation(entries: ZodValidationEntry[], context: string): HeraldError {
  const details: ErrorDetail[] = [];
  let unknownField = false;
  for (const entry of entries) {
    const base = pointerToPath(entry.instancePath);
    if (entry.keyword === 'unrecognized_keys') {
      unknownField = true;
      const keys = Array.isArray(entry.params.keys) ? (entry.params.keys as string[]) : [];
      for (const key of keys) details.push({ field: joinPath(base, key), reason: 'unknown field' });
      continue;
    }
    details.push({ field: base || context, reason: entry.message ?? entry.keyword });
  }
  const first = details[0];
  const where = context === 'body' ? '' : ` in the ${context === 'querystring' ? 'query string' : context}`;
  const message = first ? `${first.field}${where}: ${first.reason}` : `invalid request${where}`;
  return new HeraldError(
    unknownField && details.every((d) => d.reason === 'unknown field')
      ? 'HERALD_UNKNOWN_FIELD'
      : 'HERALD_VALIDATION_FAILED',
    message,
    {
      ...(first?.field ? { field: first.field } : {}),
      details,
    },
  );
}

/** `/items/3/address` -> `items[3].address` */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const part of pointer.split('/').filter(Boolean)) {
    out = joinPath(out, part);
  }
  return out;
}

function joinPath(base: string, part: string): string {
  if (/^\d+$/.test(part)) return `${base}[${part}]`;
  return base ? `${base}.${part}` : part;
}
