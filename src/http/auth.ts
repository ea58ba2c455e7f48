import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../app/apps/authenticator.js';
import type { Principal } from '../domain/app.js';
import { HeraldError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    heraldAuthenticator: Authenticator;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** `Authorization: Bearer <key or admin token>` or `x-api-key: <key>`. */
export function presentedCredential(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}

async function authenticate(request: FastifyRequest): Promise<Principal> {
  if (request.principal) return request.principal;
  const credential = presentedCredential(request);
  if (!credential) {
    throw new HeraldError(
      'HERALD_UNAUTHENTICATED',
      'send an API key as "Authorization: Bearer <key>" or "x-api-key"',
    );
  }
  const principal = await request.server.heraldAuthenticator.authenticate(credential);
  if (!principal) throw new HeraldError('HERALD_UNAUTHENTICATED', 'the API key or admin token is not valid');
  request.principal = principal;
  return principal;
}

// These run as `onRequest` hooks: a caller without access learns nothing of the body's validation, and an upload
// is refused before it is read.

/** onRequest hook for operator routes (creating and deleting apps). */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  const principal = await authenticate(request);
  if (principal.kind !== 'admin')
    throw new HeraldError('HERALD_FORBIDDEN', 'this route needs the admin token');
}

/**
 * onRequest hook for `/v1/apps/:appId/...`: the app's own key, or the admin token for an app that exists (a key
 * names its app, so only the admin token can name one that is not there: a 404, not an empty list or a failed
 * write).
 */
export async function requireAppAccess(request: FastifyRequest): Promise<void> {
  const principal = await authenticate(request);
  const appId = (request.params as { appId?: unknown } | undefined)?.appId;
  if (principal.kind === 'admin') {
    if (typeof appId === 'string' && !(await request.server.heraldAuthenticator.appExists(appId)))
      throw new HeraldError('HERALD_NOT_FOUND', `app ${appId} does not exist`, { field: 'appId' });
    return;
  }
  if (principal.appId !== appId)
    throw new HeraldError('HERALD_FORBIDDEN', 'this API key belongs to another app');
}

/**
 * onRequest hook for routes whose app comes from the key itself (the AWS-sample compatible `/v1/sendWhatsApp`).
 * Sets `request.principal`; `appIdOf` reads it.
 */
export async function requireAppKey(request: FastifyRequest): Promise<void> {
  const principal = await authenticate(request);
  if (principal.kind !== 'app') throw new HeraldError('HERALD_FORBIDDEN', 'this route needs an app API key');
}

export function appIdOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind !== 'app') throw new HeraldError('HERALD_FORBIDDEN', 'this route needs an app API key');
  return principal.appId;
}
