import type { ChannelType } from '../../domain/channel-type.js';
import type { HeraldEvent } from '../../domain/herald-event.js';
import type { Clock } from '../../ports/clock.js';
import type { EndpointStore, OptOutChange } from '../../ports/endpoint-store.js';
import type { EventPublisher } from '../events/event-publisher.js';
import { canonicalAddresses } from './canonical-addresses.js';

/**
 * What changing the opt-out list needs.
 *
 * @example
 * await changeOptOutList({ endpoints, events, clock }, appId, { channelType: 'SMS', addresses, optOut: 'ALL' });
 */
export interface ChangeOptOutListDeps {
  readonly endpoints: Pick<EndpointStore, 'setOptOuts'>;
  readonly events: Pick<EventPublisher, 'prepare' | 'eventsFor' | 'publish' | 'newId'>;
  readonly clock: Clock;
}

/**
 * What the call did, in distinct addresses (two forms of one number count once).
 *
 * @example
 * { addresses: 3, listChanged: 2, endpointIds: ['e1'] } // 2 added (1 already listed), e1 opted out
 */
export interface OptOutListChange {
  readonly addresses: number;
  /** Addresses put on the list (ALL) or taken off it (NONE); the others already were so. */
  readonly listChanged: number;
  /** Endpoints whose `optOut` changed. */
  readonly endpointIds: readonly string[];
}

/**
 * The app's own change to its opt-out list (the opt-out API): `ALL` puts the addresses on the list and opts out
 * every endpoint of the app with one of them on that channel type, as a STOP does; `NONE` takes them off and opts
 * those endpoints back in, as a START does. The addresses are checked as a whole first (nothing is written when one
 * is bad), then written in one transaction. An `endpoint.optout` or `endpoint.optin` event with reason `api` names
 * the endpoints that changed; there is none when no endpoint did (the caller knows what it asked, and the event has
 * no address to tell anyone else).
 */
export async function changeOptOutList(
  deps: ChangeOptOutListDeps,
  appId: string,
  request: { channelType: ChannelType; addresses: readonly string[]; optOut: 'NONE' | 'ALL' },
): Promise<OptOutListChange> {
  const { channelType, optOut } = request;
  const addresses = [...new Set(canonicalAddresses(channelType, request.addresses))];
  const at = deps.clock.now();
  await deps.events.prepare([appId]);
  const published: HeraldEvent[] = [];
  // The event is stored in the change's transaction: a crash after the commit loses none.
  const { listChanged, endpointIds } = await deps.endpoints.setOptOuts(
    appId,
    channelType,
    addresses,
    optOut,
    at,
    deps.events.eventsFor<OptOutChange>(
      (change) =>
        change.endpointIds.length > 0
          ? [
              {
                id: deps.events.newId(),
                type: optOut === 'ALL' ? 'endpoint.optout' : 'endpoint.optin',
                appId,
                occurredAt: at,
                data: { channelType, endpointIds: change.endpointIds, reason: 'api' },
              },
            ]
          : [],
      published,
    ),
  );
  deps.events.publish(published);
  return { addresses: addresses.length, listChanged, endpointIds };
}
