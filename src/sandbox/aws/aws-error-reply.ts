import type { FastifyReply } from 'fastify';

/**
 * restJson1 errors (End User Messaging Social): the shape name in `x-amzn-ErrorType`, `{"message"}` in the body.
 *
 * @example
 * return restJsonError(reply, 404, 'ResourceNotFoundException', 'phone number not found');
 */
export function restJsonError(
  reply: FastifyReply,
  status: number,
  type: string,
  message: string,
): FastifyReply {
  return reply
    .code(status)
    .header('x-amzn-errortype', type)
    .header('x-amzn-requestid', crypto.randomUUID())
    .type('application/json')
    .send({ message });
}

/**
 * awsJson1_0 errors (End User Messaging SMS): `{"__type": "<namespace>#<Name>", "Message", ...members}`; client
 * errors answer 400, server errors 500, as the protocol defaults.
 */
export function awsJsonError(
  reply: FastifyReply,
  namespace: string,
  type: string,
  message: string,
  members: Record<string, unknown> = {},
  status = 400,
): FastifyReply {
  return reply
    .code(status)
    .header('x-amzn-requestid', crypto.randomUUID())
    .type('application/x-amz-json-1.0')
    .send({ __type: `${namespace}#${type}`, Message: message, ...members });
}
