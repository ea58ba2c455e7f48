import { z } from 'zod';
import { canonicalAddresses } from '../../app/endpoints/canonical-addresses.js';
import { type ChangeOptOutListDeps, changeOptOutList } from '../../app/endpoints/change-opt-out-list.js';
import { CHANNEL_TYPES } from '../../domain/channel-type.js';
import type { EndpointStore } from '../../ports/endpoint-store.js';
import { requireAppAccess } from '../auth.js';
import type { RouteModule } from '../herald-fastify.js';
import { appIdParams, errorResponses, security, timestamp, toIso } from '../schemas/common.js';

/**
 * What the opt-out routes need: the endpoint store (which keeps the list), the event publisher and the clock.
 *
 * @example
 * optOutRoutes({ endpoints, events, clock });
 */
export interface OptOutRoutesDeps extends ChangeOptOutListDeps {
  readonly endpoints: ChangeOptOutListDeps['endpoints'] & Pick<EndpointStore, 'optedOutAt' | 'optOutCounts'>;
}

const tags = ['opt-outs'];

const HASHED =
  'The list keeps only a keyed hash of each channel type and address (as the message ledger does), so it can answer for addresses it is given but never list them.';

const addressesBody = z.strictObject({
  channelType: z.enum(CHANNEL_TYPES),
  addresses: z
    .array(z.string().max(256))
    .min(1)
    .max(1000)
    .describe(
      'E.164 numbers for WHATSAPP, SMS and VOICE (any common form is read, e.g. `+1 650 555 1234` or `16505551234`), LINE user ids for LINE, the address as is for other channel types.',
    ),
});

/**
 * The app's opt-out list (AWS End User Messaging SMS's PutOptedOutNumber, DeleteOptedOutNumber and
 * DescribeOptedOutNumbers, for every channel type): load it, look addresses up, take them off, count it.
 *
 * Addresses travel in bodies only, never in the URL: URLs are logged, and Herald's logs carry no address. So the
 * look-up is a POST, and so is the removal: a body on DELETE has no defined meaning in HTTP (RFC 9110), and some
 * clients and proxies drop it.
 */
export function optOutRoutes(deps: OptOutRoutesDeps): RouteModule {
  return (app) => {
    app.addHook('onRequest', requireAppAccess);

    app.post(
      '/v1/apps/:appId/opt-outs',
      {
        schema: {
          tags,
          summary: 'Put addresses on the opt-out list',
          description: `Each address goes on the app's opt-out list for the channel type (an address already listed keeps its first time), and every endpoint of the app with that channel type and address is opted out (\`optOut: ALL\`), as a STOP keyword does; an endpoint created later for a listed address starts opted out. The addresses are checked as a whole: one that is not valid for the channel type is \`HERALD_INVALID_ADDRESS\` naming it (\`addresses[3]\`), with every bad one in \`details\`, and nothing is written. Counts are of distinct addresses. An \`endpoint.optout\` event (reason \`api\`, no \`channelId\`) names the endpoints that changed, when any did. ${HASHED}`,
          security,
          params: appIdParams,
          body: addressesBody,
          response: {
            200: z.object({
              added: z.number().int().describe('Addresses that were not on the list.'),
              alreadyListed: z.number().int(),
              endpointsOptedOut: z.number().int().describe('Endpoints that were opted in until now.'),
            }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const change = await changeOptOutList(deps, request.params.appId, {
          ...request.body,
          optOut: 'ALL',
        });
        return {
          added: change.listChanged,
          alreadyListed: change.addresses - change.listChanged,
          endpointsOptedOut: change.endpointIds.length,
        };
      },
    );

    app.post(
      '/v1/apps/:appId/opt-outs/remove',
      {
        schema: {
          tags,
          summary: 'Take addresses off the opt-out list',
          description:
            "For a person who asked to be contacted again: each address leaves the app's opt-out list for the channel type, and every endpoint of the app with that channel type and address is opted back in (`optOut: NONE`), as a START keyword does, whether or not the address was listed; endpoints created later start opted in. Checked as a whole like the POST that adds. An `endpoint.optin` event (reason `api`) names the endpoints that changed, when any did. A POST rather than a DELETE with a body, which HTTP leaves without meaning and some proxies drop; the addresses never go in the URL, which is logged.",
          security,
          params: appIdParams,
          body: addressesBody,
          response: {
            200: z.object({
              removed: z.number().int().describe('Addresses that were on the list.'),
              notListed: z.number().int(),
              endpointsOptedIn: z.number().int().describe('Endpoints that were opted out until now.'),
            }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const change = await changeOptOutList(deps, request.params.appId, {
          ...request.body,
          optOut: 'NONE',
        });
        return {
          removed: change.listChanged,
          notListed: change.addresses - change.listChanged,
          endpointsOptedIn: change.endpointIds.length,
        };
      },
    );

    app.post(
      '/v1/apps/:appId/opt-outs/lookup',
      {
        schema: {
          tags,
          summary: 'Look addresses up on the opt-out list',
          description: `Whether each address is on the app's opt-out list for the channel type, and since when, in the order asked, each address in the canonical form Herald keeps (E.164 for phone numbers). A POST so that the addresses stay out of the URL, which is logged. Checked as a whole like the POST that adds. ${HASHED}`,
          security,
          params: appIdParams,
          body: addressesBody,
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  address: z.string(),
                  optedOut: z.boolean(),
                  optedOutAt: timestamp
                    .optional()
                    .describe('When the address was put on the list (when it is on it).'),
                }),
              ),
            }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const { appId } = request.params;
        const { channelType } = request.body;
        const addresses = canonicalAddresses(channelType, request.body.addresses);
        const listed = await deps.endpoints.optedOutAt(appId, channelType, [...new Set(addresses)]);
        return {
          items: addresses.map((address) => {
            const at = listed.get(address);
            return at === undefined
              ? { address, optedOut: false }
              : { address, optedOut: true, optedOutAt: toIso(at) };
          }),
        };
      },
    );

    app.get(
      '/v1/apps/:appId/opt-outs',
      {
        schema: {
          tags,
          summary: 'Count the opt-out list by channel type',
          description: `How many addresses the app's opt-out list holds for each channel type that has any, and when the latest was put on it. ${HASHED} Look an address up with \`POST .../opt-outs/lookup\`.`,
          security,
          params: appIdParams,
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  channelType: z.enum(CHANNEL_TYPES),
                  count: z.number().int(),
                  lastOptedOutAt: timestamp,
                }),
              ),
            }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => ({
        items: (await deps.endpoints.optOutCounts(request.params.appId)).map((c) => ({
          channelType: c.channelType,
          count: c.count,
          lastOptedOutAt: toIso(c.lastOptedOutAt),
        })),
      }),
    );
  };
}
