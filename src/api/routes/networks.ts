/**
 * The `/networks/*` routes: create, list, inspect, remove, prune, connect,
 * disconnect. Codes and messages as moby's (engine-api.md §6.3, §7).
 */
import { invalidArgument } from '../../common/errors';
import type { EndpointConfig } from '../../engine/containers/types';
import type { CreateNetworkOptions, NetworkService, NetworkView } from '../../engine/network';
import type {
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkInspectWire,
  NetworksPruneReport,
} from '../../wire';
import { param, queryFilters, type RequestContext } from '../context';
import { sendJson } from '../errors';
import type { Router } from '../router';
import { answerStatus, readJsonObject, stringMapField } from './body';

/** Connecting containers to networks goes through the container engine (its records and locks). */
export interface NetworkEndpoints {
  connect(container: string, network: string, config: EndpointConfig): Promise<void>;
  disconnect(container: string, network: string, force: boolean): Promise<void>;
}

export interface NetworkRouteDeps {
  networks: NetworkService;
  endpoints?: NetworkEndpoints;
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);

export function toNetworkWire(v: NetworkView, withContainers: boolean): NetworkInspectWire {
  const n = v.network;
  const containers: NetworkInspectWire['Containers'] = {};
  if (withContainers) {
    for (const e of v.endpoints) {
      containers[e.containerId] = {
        Name: e.containerName,
        EndpointID: e.id,
        MacAddress: e.macAddress,
        IPv4Address: e.ipv4Address === '' ? '' : `${e.ipv4Address}/${e.prefixLen}`,
        IPv6Address: '',
      };
    }
  }
  const predefined = PREDEFINED.has(n.name);
  const ipamOptions = n.ipam.options;
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: n.scope,
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: n.ipam.driver,
      Options: predefined && Object.keys(ipamOptions).length === 0 ? null : { ...ipamOptions },
      Config: n.ipam.config.map((c) => ({
        Subnet: c.subnet,
        ...(c.ipRange === undefined ? {} : { IPRange: c.ipRange }),
        Gateway: c.gateway,
      })),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: { ...n.options },
    Labels: { ...n.labels },
  };
}

function toCreateNetworkOptions(body: Partial<NetworkCreateRequest>): CreateNetworkOptions {
  if (typeof body.Name !== 'string' || body.Name === '') throw invalidArgument('network name must not be empty');
  if (body.Ingress === true) throw invalidArgument('ingress networks are not supported by berth');
  if (body.ConfigOnly === true || (body.ConfigFrom?.Network ?? '') !== '') {
    throw invalidArgument('config-only networks are not supported by berth');
  }
  if (body.Scope !== undefined && body.Scope !== '' && body.Scope !== 'local') {
    throw invalidArgument(`scope ${body.Scope} is not supported by berth`);
  }
  const options: CreateNetworkOptions = {
    name: body.Name,
    internal: body.Internal === true,
    attachable: body.Attachable === true,
    options: stringMapField(body.Options, 'Options'),
    labels: stringMapField(body.Labels, 'Labels'),
  };
  if (typeof body.Driver === 'string' && body.Driver !== '') options.driver = body.Driver;
  if (body.EnableIPv6 === true) options.enableIPv6 = true;
  if (body.IPAM) {
    const ipam: NonNullable<CreateNetworkOptions['ipam']> = {
      options: stringMapField(body.IPAM.Options, 'IPAM.Options'),
      config: (body.IPAM.Config ?? []).map((c) => {
        if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0) {
          throw invalidArgument('auxiliary addresses are not supported by berth');
        }
        return {
          ...(c.Subnet ? { subnet: c.Subnet } : {}),
          ...(c.IPRange ? { ipRange: c.IPRange } : {}),
          ...(c.Gateway ? { gateway: c.Gateway } : {}),
        };
      }),
    };
    if (body.IPAM.Driver) ipam.driver = body.IPAM.Driver;
    options.ipam = ipam;
  }
  return options;
}

export function registerNetworkRoutes(router: Router, deps: NetworkRouteDeps): void {
  const { networks } = deps;

  const list = async (ctx: RequestContext) => {
    const views = await networks.list(queryFilters(ctx));
    sendJson(
      ctx.res,
      200,
      views.map((v) => toNetworkWire(v, false)),
    );
  };
  router.get('/networks', list);
  router.get('/networks/', list);

  router.post('/networks/create', async (ctx) => {
    const body = await readJsonObject<NetworkCreateRequest>(ctx);
    const network = await networks.createNetwork(toCreateNetworkOptions(body));
    const answer: NetworkCreateResponse = { Id: network.id, Warning: '' };
    sendJson(ctx.res, 201, answer);
  });

  router.post('/networks/prune', async (ctx) => {
    const result = await networks.prune(queryFilters(ctx));
    const report: NetworksPruneReport = { NetworksDeleted: [...result.networksDeleted] };
    sendJson(ctx.res, 200, report);
  });

  router.get('/networks/{id}', async (ctx) => {
    sendJson(ctx.res, 200, toNetworkWire(await networks.get(param(ctx, 'id')), true));
  });

  router.delete('/networks/{id}', async (ctx) => {
    await networks.remove(param(ctx, 'id'));
    answerStatus(ctx, 204);
  });

  router.post('/networks/{id}/connect', async (ctx) => {
    const body = await readJsonObject<NetworkConnectRequest>(ctx);
    const container = typeof body.Container === 'string' ? body.Container : '';
    if (container === '') throw invalidArgument('container name or ID is required');
    const network = (await networks.get(param(ctx, 'id'))).network.id;
    if (deps.endpoints === undefined) throw invalidArgument('this daemon has no containers');
    const ep = body.EndpointConfig ?? {};
    const aliases = ep.Aliases ?? [];
    if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== 'string')) {
      throw invalidArgument('EndpointConfig.Aliases must be a list of strings');
    }
    await deps.endpoints.connect(container, network, {
      aliases: [...aliases],
      ipv4Address: ep.IPAMConfig?.IPv4Address ?? '',
      macAddress: ep.MacAddress ?? '',
    });
    answerStatus(ctx, 200);
  });

  router.post('/networks/{id}/disconnect', async (ctx) => {
    const body = await readJsonObject<NetworkDisconnectRequest>(ctx);
    const container = typeof body.Container === 'string' ? body.Container : '';
    if (container === '') throw invalidArgument('container name or ID is required');
    if (deps.endpoints === undefined) throw invalidArgument('this daemon has no containers');
    await deps.endpoints.disconnect(container, param(ctx, 'id'), body.Force === true);
    answerStatus(ctx, 200);
  });
}
