import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { DeliverySettings, DeliverySettingsStore } from '../../ports/delivery-settings-store.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { appIdParams, errorResponses, security } from '../schemas/common.js';

const language = z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'a language code such as en_US or es');

const settingsSchema = z
  .strictObject({
    consentTemplate: z
      .strictObject({
        name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'a WhatsApp template name'),
        languages: z
          .record(z.string().regex(/^[A-Za-z]{2,3}([_-][A-Za-z]{2,4})?$/), language)
          .default({})
          .describe(
            'Recipient locale or language -> template language, e.g. {"es": "es", "pt_BR": "pt_BR"}.',
          ),
        fallbackLanguage: language,
        parameters: z
          .array(z.string().min(1).max(1024))
          .max(20)
          .readonly()
          .optional()
          .describe('Positional body parameters ({{1}}, {{2}}...) when the template has any.'),
      })
      .optional()
      .describe(
        'Sent once to a WhatsApp user whose 24-hour window is closed, so they reply and the held messages can go out.',
      ),
    holdSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .optional()
      .describe('How long held messages wait (default: HERALD_HOLD_TIME_SECONDS).'),
    expiryNotice: z
      .strictObject({ text: z.string().min(1).max(4096) })
      .optional()
      .describe('Sent when a user writes after their held messages expired.'),
    markRead: z
      .boolean()
      .optional()
      .describe('Mark inbound WhatsApp messages read (default: HERALD_MARK_READ).'),
  })
  .meta({ id: 'DeliverySettings' });

export function deliverySettingsRoutes(deps: { settings: DeliverySettingsStore; clock: Clock }): RouteModule {
  return (app) => {
    app.addHook('onRequest', requireAppAccess);
    app.get(
      '/v1/apps/:appId/delivery-settings',
      {
        schema: {
          tags: ['messages'],
          summary:
            "The app's WhatsApp window handling (consent template, hold time, expiry notice, mark read)",
          security,
          params: appIdParams,
          response: { 200: settingsSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => deps.settings.get(request.params.appId),
    );
    app.put(
      '/v1/apps/:appId/delivery-settings',
      {
        schema: {
          tags: ['messages'],
          summary: "Replace the app's delivery settings",
          security,
          params: appIdParams,
          body: settingsSchema,
          response: { 200: settingsSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        await deps.settings.put(request.params.appId, request.body as DeliverySettings, deps.clock.now());
        return deps.settings.get(request.params.appId);
      },
    );
  };
}
