import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { twilioSignature } from '../../src/channels/twilio/webhook.js';
import type { Herald } from '../../src/main.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { adminHeaders, createTestApp, createTestHerald } from '../helpers/test-herald.js';

/** A media type as compared: its charset aside (fastify adds `charset=utf-8`), other parameters kept. */
function mediaType(contentType: string): string {
  return contentType
    .split(';')
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== '' && !part.startsWith('charset='))
    .join('; ');
}

/** The methods fastify reads a body for (its `bodywith`, less those Herald has no route for). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** HERALD_BODY_LIMIT here: small, so that the probes of a body over it stay small. */
const BODY_LIMIT = 16_384;

interface Operation {
  summary?: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

/** Every route of Herald's own API is in the OpenAPI document, with its method. */
describeEachDatabase(
  'the OpenAPI document',
  (db) => {
    let herald: Herald;
    beforeEach(async () => {
      herald = await createTestHerald(db(), {
        sandbox: true,
        env: { HERALD_BODY_LIMIT: String(BODY_LIMIT) },
      });
    });
    afterEach(() => herald.stop());

    const document = async () =>
      (await herald.server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
        paths: Record<string, Record<string, Operation>>;
      };

    it('documents every route but the sandbox and the reference pages', async () => {
      const doc = await document();
      const missing = herald.server.heraldRoutes
        .filter((r) => !r.hidden && !r.url.startsWith('/sandbox') && !r.url.startsWith('/docs'))
        .filter((r) => {
          const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
          return doc.paths[path]?.[r.method.toLowerCase()] === undefined;
        })
        .map((r) => `${r.method} ${r.url}`);
      expect(missing).toEqual([]);
      expect(Object.keys(doc.paths).length).toBeGreaterThan(40);
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          expect(operation.summary, `${method} ${path} has no summary`).toEqual(expect.any(String));
        }
      }
    });

    it('declares every error status a route gives to an unknown app or id, no credential, another app, a query or a body, and 500', async () => {
      // Routes that could answer 404 (the admin token naming an app that does not exist, an unknown id) did not say
      // so, and clients generated from the document had no type for it.
      const doc = await document();
      const app = await createTestApp(herald);
      const other = await createTestApp(herald, 'other');
      const undeclared: string[] = [];
      for (const route of herald.server.heraldRoutes) {
        if (route.hidden || route.url.startsWith('/sandbox') || route.url.startsWith('/docs')) continue;
        const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
        const operation = doc.paths[path]?.[route.method.toLowerCase()];
        if (!operation) continue; // the test above reports it
        // An open event stream never ends: only the probes refused before it opens are sent to it. Unknown ids only
        // where the path has ids besides the app's (DELETE /v1/apps/{appId} with the admin token would delete it);
        // a query a route does not take is refused before its handler runs.
        const streams = route.url.endsWith('/events/stream');
        const ids = route.url.replace(':appId', '').includes(':');
        // A body is read, and refused before the handler, on the methods that carry one: one over the limit, one of a
        // type the route does not take, one whose Content-Type does not parse. The app's key (admin-only routes of an
        // app, DELETE /v1/apps/{appId} among them, refuse it first), or the admin token outside apps (POST /v1/apps).
        const body = BODY_METHODS.has(route.method)
          ? route.url.startsWith('/v1/apps/:appId')
            ? app.headers
            : adminHeaders
          : undefined;
        const probes: {
          why: string;
          appId: string;
          headers: Record<string, string>;
          query?: string;
          payload?: string;
        }[] = [
          { why: 'no credential', appId: app.appId, headers: {} },
          { why: 'an unknown app, admin token', appId: 'no-such-app', headers: adminHeaders },
          { why: "another app's key", appId: app.appId, headers: other.headers },
          ...(streams
            ? []
            : [
                { why: 'an unknown query parameter', appId: app.appId, headers: app.headers, query: '?zz=1' },
              ]),
          ...(ids
            ? [
                { why: 'unknown ids', appId: app.appId, headers: app.headers },
                { why: 'unknown ids, admin token', appId: app.appId, headers: adminHeaders },
              ]
            : []),
          ...(body
            ? [
                {
                  why: 'a body over the limit',
                  appId: app.appId,
                  headers: { ...body, 'content-type': 'application/json' },
                  payload: JSON.stringify({ name: 'x'.repeat(BODY_LIMIT) }),
                },
                {
                  why: 'a text/plain body',
                  appId: app.appId,
                  headers: { ...body, 'content-type': 'text/plain' },
                  payload: 'hello',
                },
                {
                  why: 'a Content-Type that does not parse',
                  appId: app.appId,
                  headers: { ...body, 'content-type': 'nonsense' },
                  payload: 'hello',
                },
              ]
            : []),
        ];
        for (const probe of probes) {
          const url = route.url.replace(':appId', probe.appId).replace(/:[A-Za-z]+/g, 'no-such-id');
          const response = await herald.server.inject({
            method: route.method as 'GET',
            url: `${url}${probe.query ?? ''}`,
            headers: probe.headers,
            ...(probe.payload === undefined ? {} : { payload: probe.payload }),
          });
          if (response.statusCode >= 400 && operation.responses[response.statusCode] === undefined)
            undeclared.push(`${route.method} ${path} (${probe.why}): ${response.statusCode}`);
        }
      }
      expect(undeclared).toEqual([]);

      // And as a rule, for the routes to come: every API route checks its path and query (400) and its credential
      // (401, 403), and every route of an app answers 404 to the admin token naming an app that does not exist.
      // Every route, API or not, can fail unexpectedly: the error handler answers 500 HERALD_INTERNAL.
      const unruled: string[] = [];
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          // And every route that reads a body can refuse it (413, 415) before its handler runs; one that reads none
          // (GET) cannot.
          const bodyStatuses = [413, 415];
          if (!BODY_METHODS.has(method.toUpperCase()))
            for (const status of bodyStatuses)
              if (operation.responses[status] !== undefined)
                unruled.push(`${method} ${path}: ${status}, but it reads no body`);
          const statuses = [
            ...(!path.startsWith('/v1/')
              ? [500]
              : path.startsWith('/v1/apps/{appId}')
                ? [400, 401, 403, 404, 500]
                : [400, 401, 403, 500]),
            ...(BODY_METHODS.has(method.toUpperCase()) ? bodyStatuses : []),
          ];
          for (const status of statuses)
            if (operation.responses[status] === undefined) unruled.push(`${method} ${path}: ${status}`);
        }
      }
      expect(unruled).toEqual([]);
    });

    it('gives the webhooks’ and the metrics’ answers their own media types', async () => {
      // WhatsApp's verification answers its challenge as text/plain and Twilio's messages get TwiML as text/xml;
      // the document said application/json for both (and nothing for the metrics), so a generated client parsed
      // them as JSON.
      const paths = (await document()).paths;
      const webhook = paths['/webhooks/{appId}/{channelId}'];
      expect(Object.keys(webhook?.get?.responses['200']?.content ?? {})).toEqual(['text/plain']);
      expect(Object.keys(webhook?.post?.responses['200']?.content ?? {}).sort()).toEqual([
        'application/json',
        'text/xml',
      ]);
      expect(Object.keys(webhook?.post?.responses['401']?.content ?? {})).toEqual(['application/json']);
      expect(Object.keys(paths['/metrics']?.get?.responses['200']?.content ?? {})).toEqual([
        expect.stringMatching(/^text\/plain; version=0\.0\.4/),
      ]);
    });

    it('answers in a media type the document declares for the status', async () => {
      // The declarations checked against real answers, one of each kind: the providers' own answers (a challenge,
      // TwiML, `{}`), a JSON route and the metrics' text. The event stream never ends: test/delivery reads its Content-Type.
      const doc = await document();
      const app = await createTestApp(herald);
      const channel = async (id: string, body: Record<string, unknown>) => {
        const response = await herald.server.inject({
          method: 'PUT',
          url: `/v1/apps/${app.appId}/channels/${id}`,
          headers: app.headers,
          payload: { ...body, validate: false },
        });
        expect(response.statusCode, response.body).toBe(200);
        return (response.json() as { webhookUrl: string }).webhookUrl;
      };
      const whatsApp = await channel('wa', {
        provider: 'whatsapp-cloud',
        sender: { phoneNumberId: '106540352242922' },
        credentials: {
          accessToken: 'wa-access-token-0123456789',
          appSecret: 'wa-app-secret',
          verifyToken: 'wa-verify-token',
        },
      });
      const twilioToken = 'twilio-auth-token-0123456789';
      const twilio = await channel('sms', {
        provider: 'twilio',
        sender: { from: '+15005550006' },
        credentials: { accountSid: `AC${'0'.repeat(32)}`, authToken: twilioToken },
      });
      const lineSecret = 'line-channel-secret';
      const line = await channel('line', {
        provider: 'line',
        sender: { channelId: '1656000000' },
        credentials: { channelAccessToken: 'line-access-token-0123456789', channelSecret: lineSecret },
      });
      const twilioPost = (params: Record<string, string>) => {
        const form = new URLSearchParams(params);
        const signed = new Map([...form.keys()].map((name) => [name, form.getAll(name)]));
        return {
          method: 'POST' as const,
          url: new URL(twilio).pathname,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': twilioSignature(twilioToken, twilio, signed),
          },
          payload: form.toString(),
        };
      };
      const lineBody = JSON.stringify({ destination: 'U0123', events: [] });
      const calls = [
        {
          path: '/webhooks/{appId}/{channelId}',
          why: 'WhatsApp’s verification',
          method: 'GET' as const,
          url: `${new URL(whatsApp).pathname}?hub.mode=subscribe&hub.verify_token=wa-verify-token&hub.challenge=1158201444`,
        },
        {
          path: '/webhooks/{appId}/{channelId}',
          why: 'a Twilio incoming message',
          ...twilioPost({ MessageSid: `SM${'1'.repeat(32)}`, From: '+16505551234', Body: 'hi' }),
        },
        {
          path: '/webhooks/{appId}/{channelId}',
          why: 'a Twilio status callback',
          ...twilioPost({ MessageSid: `SM${'2'.repeat(32)}`, MessageStatus: 'delivered' }),
        },
        {
          path: '/webhooks/{appId}/{channelId}',
          why: 'a LINE webhook',
          method: 'POST' as const,
          url: new URL(line).pathname,
          headers: {
            'content-type': 'application/json',
            'x-line-signature': createHmac('sha256', lineSecret).update(lineBody).digest('base64'),
          },
          payload: lineBody,
        },
        {
          path: '/v1/apps/{appId}/channels',
          why: 'a JSON route',
          method: 'GET' as const,
          url: `/v1/apps/${app.appId}/channels`,
          headers: app.headers,
        },
        { path: '/healthz', why: 'liveness', method: 'GET' as const, url: '/healthz' },
        { path: '/metrics', why: 'the metrics', method: 'GET' as const, url: '/metrics' },
      ];
      const undeclared: string[] = [];
      for (const { path, why, ...request } of calls) {
        const response = await herald.server.inject(request);
        expect(response.statusCode, `${why}: ${response.body}`).toBeLessThan(300);
        const declared = Object.keys(
          doc.paths[path]?.[request.method.toLowerCase()]?.responses[response.statusCode]?.content ?? {},
        );
        const given = String(response.headers['content-type']);
        if (!declared.map(mediaType).includes(mediaType(given)))
          undeclared.push(`${why}: ${given}, declared ${declared.join(', ') || 'nothing'}`);
      }
      expect(undeclared).toEqual([]);
    });

    it('gives the event stream’s 200 as text/event-stream and its errors as JSON', async () => {
      const stream = (await document()).paths['/v1/apps/{appId}/events/stream']?.get;
      expect(Object.keys(stream?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
      expect(Object.keys(stream?.responses['404']?.content ?? {})).toEqual(['application/json']);
    });
  },
  { scope: 'suite' },
);
