/**
 * Wiring of networks and volumes: the services over the data root, the
 * container hooks, and what has to happen once the containers are known
 * (volume references re-derived, published ports of running containers
 * re-published, endpoints and netns files no running container owns
 * released).
 *
 * Names of kernel objects can be changed through the environment so that
 * test daemons use test-prefixed names the leak check finds:
 *   BERTH_BRIDGE_NAME   default bridge device (berth0)
 *   BERTH_NFT_TABLE     nft table, family inet (berth)
 *   BERTH_LINK_PREFIX   host-side veths `<prefix><hex>` (veth) and user bridges `<prefix>x<hex>` (br-<hex>)
 */
import path from 'node:path';
import type { NetworkEndpoints } from '../api';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/log';
import {
  type ContainerAttachments,
  ContainerNetworking,
  ContainerVolumes,
  combineAttachments,
  type LocalContainerService,
} from '../engine/containers';
import type { Container } from '../engine/containers/types';
import { LocalNetworkService, parseDefaultAddressPool } from '../engine/network';
import { LocalVolumeService } from '../engine/volumes';
import type { Host } from '../host';
import { LinuxNetworkHost } from '../host/network';

export interface NetworkVolumeConfig {
  bip?: string;
  defaultAddressPools?: string[];
}

export interface NetworkVolumeOptions {
  dataRoot: string;
  execRoot: string;
  logger: Logger;
  host: Host;
  config?: NetworkVolumeConfig;
  env?: NodeJS.ProcessEnv;
}

export interface NetworkVolumeParts {
  networks: LocalNetworkService;
  volumes: LocalVolumeService;
  /** The container hooks (networks then volumes). */
  attachments: ContainerAttachments;
  /** `network connect/disconnect` through the container engine's records. */
  endpoints(containers: LocalContainerService): NetworkEndpoints;
  /** After the container service recovered. */
  afterContainers(containers: LocalContainerService): Promise<void>;
  close(): Promise<void>;
}

type Lookup = Pick<LocalContainerService, 'list' | 'update'>;

function isActive(c: Container): boolean {
  return c.state.status === 'running' || c.state.status === 'paused';
}

export async function openNetworkAndVolumes(options: NetworkVolumeOptions): Promise<NetworkVolumeParts> {
  const env = options.env ?? process.env;
  const logger = options.logger;
  const netnsDir = path.join(options.execRoot, 'netns');
  const netHost = new LinuxNetworkHost({ netnsDir });
  const linkPrefix = env.BERTH_LINK_PREFIX || undefined;
  const cfg = options.config ?? {};
  const networks = await LocalNetworkService.open({
    root: path.join(options.dataRoot, 'network'),
    host: netHost,
    ...(env.BERTH_NFT_TABLE ? { table: env.BERTH_NFT_TABLE } : {}),
    ...(env.BERTH_BRIDGE_NAME ? { defaultBridge: env.BERTH_BRIDGE_NAME } : {}),
    ...(linkPrefix === undefined ? {} : { vethPrefix: linkPrefix, bridgePrefix: `${linkPrefix}x` }),
    ...(cfg.bip === undefined ? {} : { bip: cfg.bip }),
    ...(cfg.defaultAddressPools === undefined
      ? {}
      : { addressPools: cfg.defaultAddressPools.map(parseDefaultAddressPool) }),
  });
  const volumes = new LocalVolumeService({
    root: path.join(options.dataRoot, 'volumes'),
    host: options.host,
    logger: logger.child({ module: 'volumes' }),
  });
  const report = await volumes.recover();
  if (report.quarantined.length > 0)
    logger.warn('quarantined corrupt volumes', { names: report.quarantined.join(',') });

  const networking = new ContainerNetworking({
    networks,
    host: netHost,
    netnsDir,
    logger: logger.child({ module: 'container-network' }),
  });
  const containerVolumes = new ContainerVolumes({ volumes, logger: logger.child({ module: 'container-volumes' }) });

  return {
    networks,
    volumes,
    attachments: combineAttachments([networking, containerVolumes]),
    endpoints(containers) {
      return {
        connect: (container, network, config) =>
          containers.update(container, (c, running) => networking.connect(c, running, network, config)),
        disconnect: (container, network, force) =>
          containers.update(container, (c, running) => networking.disconnect(c, running, network, force)),
      };
    },
    async afterContainers(containers: Lookup) {
      const all = (await containers.list({ all: true, limit: 0, size: false, filters: {} })).map((s) => s.container);
      await volumes.setUsers(ContainerVolumes.users(all));
      const running = new Set(all.filter(isActive).map((c) => c.id));
      for (const c of all.filter(isActive)) {
        await containers
          .update(c.id, async (live) => {
            await containerVolumes.restore(live);
            await networking.restore(live);
          })
          .catch((err) => logger.warn('cannot restore a running container', { id: c.id, error: errorMessage(err) }));
      }
      await networking.cleanup(running);
    },
    async close() {
      await networks
        .close()
        .catch((err) => logger.error('closing the network service failed', { error: errorMessage(err) }));
    },
  };
}
