/**
 * A container's networks, the way Docker's sandbox model does it: before the
 * task exists a named network namespace is made and set up (veth per
 * network, addresses, default route, embedded DNS redirect, published
 * ports); the task then joins it. At stop the endpoints and ports are
 * released and the namespace removed. /etc/hosts and /etc/resolv.conf are
 * written from the addresses the container got.
 *
 * The container record keeps what was asked (`networks[name].config`) across
 * stops; addresses, endpoint ids and published ports are live values,
 * cleared at stop.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../common/atomic';
import { errorMessage, forbidden, invalidArgument, isEngineError } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { NetworkHost } from '../../host/network';
import {
  type Endpoint,
  fromPortBindings,
  isPredefined,
  type LocalNetworkService,
  type PortBindingSpec,
  parsePortRange,
  renderHosts,
  renderResolvConf,
} from '../network';
import type { ContainerAttachments, StartAttachments } from './attachments';
import type { Container, ContainerEndpoint, CreateContainerOptions, EndpointConfig } from './types';

export interface ContainerNetworkingOptions {
  networks: LocalNetworkService;
  host: NetworkHost;
  /** Where containers' named netns files live, e.g. <exec-root>/netns. */
  netnsDir: string;
  logger: Logger;
  /** The host's resolv.conf (default /etc/resolv.conf). */
  resolvConf?: string;
}

/** Modes that put the container on networks berth manages. */
export function managedNetworkMode(mode: string): boolean {
  return mode !== 'host' && mode !== 'none' && !mode.startsWith('container:');
}

function emptyEndpoint(networkId: string, config: EndpointConfig): ContainerEndpoint {
  return {
    networkId,
    config,
    endpointId: '',
    ipAddress: '',
    ipPrefixLen: 0,
    gateway: '',
    macAddress: '',
    dnsNames: [],
  };
}

export class ContainerNetworking implements ContainerAttachments {
  private readonly networks: LocalNetworkService;
  private readonly host: NetworkHost;
  private readonly netnsDir: string;
  private readonly logger: Logger;
  private readonly resolvConf: string;

  constructor(options: ContainerNetworkingOptions) {
    this.networks = options.networks;
    this.host = options.host;
    this.netnsDir = options.netnsDir;
    this.logger = options.logger;
    this.resolvConf = options.resolvConf ?? '/etc/resolv.conf';
  }

  async create(c: Container, options: CreateContainerOptions): Promise<void> {
    const mode =
      c.hostConfig.networkMode === '' || c.hostConfig.networkMode === 'default' ? 'bridge' : c.hostConfig.networkMode;
    if (!managedNetworkMode(mode)) return;
    const wanted = new Map<string, EndpointConfig>();
    const given = options.endpointsConfig ?? {};
    const primary = await this.networks.get(mode);
    const primaryName = primary.network.name;
    const firstCfg = given[mode] ?? given[primaryName] ?? given[primary.network.id];
    wanted.set(primaryName, {
      aliases: [...(firstCfg?.aliases ?? [])],
      ipv4Address: firstCfg?.ipv4Address ?? '',
      macAddress: firstCfg?.macAddress || options.macAddress || '',
    });
    const networks: Record<string, ContainerEndpoint> = {};
    networks[primaryName] = emptyEndpoint(primary.network.id, wanted.get(primaryName) as EndpointConfig);
    for (const [key, cfg] of Object.entries(given)) {
      if (key === mode || key === primaryName || key === primary.network.id) continue;
      const v = await this.networks.get(key);
      networks[v.network.name] = emptyEndpoint(v.network.id, { ...cfg, aliases: [...cfg.aliases] });
    }
    for (const [name, ep] of Object.entries(networks)) this.checkEndpointConfig(name, ep.config);
    c.networks = networks;
    c.ports = [];
    c.sandboxKey = '';
  }

  private checkEndpointConfig(network: string, cfg: EndpointConfig): void {
    if (isPredefined(network) && cfg.aliases.length > 0) {
      throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
    }
    if (cfg.macAddress !== '' && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(cfg.macAddress)) {
      throw invalidArgument(`invalid MAC address: ${cfg.macAddress}`);
    }
  }

  async start(c: Container, _rootfs: string): Promise<StartAttachments> {
    const networks = c.networks;
    if (networks === undefined || Object.keys(networks).length === 0) return { mounts: [] };
    await this.stop(c); // whatever a crash left behind
    await fs.mkdir(this.netnsDir, { recursive: true });
    const file = path.join(this.netnsDir, c.id);
    await this.host.deleteNetns(file).catch(() => undefined);
    const netns = await this.host.createNetns(c.id, this.netnsDir);
    c.sandboxKey = netns;
    try {
      for (const [name, ep] of Object.entries(networks)) {
        await this.networks
          .connect(c.id, ep.networkId, {
            containerName: c.name,
            aliases: ep.config.aliases,
            ...(ep.config.ipv4Address === '' ? {} : { ipv4Address: ep.config.ipv4Address }),
            ...(ep.config.macAddress === '' ? {} : { macAddress: ep.config.macAddress }),
          })
          .catch((err) => {
            if (isEngineError(err, 'not-found')) throw invalidArgument(`network ${name} not found`);
            throw err;
          });
      }
      const endpoints = await this.networks.attachSandbox(c.id, { netns });
      this.applyEndpoints(c, endpoints);
      const published = await this.networks.publishPorts(c.id, this.portBindings(c));
      c.ports = published.map((p) => ({ ...p }));
      await this.writeEtcFiles(c);
    } catch (err) {
      await this.stop(c).catch(() => undefined);
      throw err;
    }
    return { mounts: [], net: { kind: 'path', path: netns } };
  }

  /** Bindings from -p, plus an ephemeral host port for every other exposed port with -P. */
  portBindings(c: Container): PortBindingSpec[] {
    const hc = c.hostConfig;
    const bindings: Record<string, Array<{ hostIp?: string; hostPort?: string }>> = {};
    for (const [key, list] of Object.entries(hc.portBindings)) {
      if (key.endsWith('/sctp')) continue;
      bindings[key] = list.length === 0 ? [{}] : list.map((b) => ({ hostIp: b.hostIp, hostPort: b.hostPort }));
    }
    if (hc.publishAllPorts) {
      for (const key of c.config.exposedPorts) {
        const [ports = '', proto = 'tcp'] = key.split('/');
        if (proto === 'sctp') continue;
        const range = parsePortRange(ports);
        for (let p = range.start; p <= range.end; p++) {
          const k = `${p}/${proto}`;
          if (bindings[k] === undefined) bindings[k] = [{}];
        }
      }
    }
    return fromPortBindings(bindings);
  }

  private applyEndpoints(c: Container, endpoints: Endpoint[]): void {
    for (const ep of Object.values(c.networks ?? {})) {
      const got = endpoints.find((e) => e.networkId === ep.networkId);
      if (got === undefined) continue;
      ep.endpointId = got.id;
      ep.ipAddress = got.ipv4Address;
      ep.ipPrefixLen = got.prefixLen;
      ep.gateway = got.gateway;
      ep.macAddress = got.macAddress;
      ep.dnsNames = [got.containerName, ...got.aliases, c.id.slice(0, 12)];
    }
  }

  /** Docker's /etc/hosts and /etc/resolv.conf for a container on berth's networks. */
  private async writeEtcFiles(c: Container): Promise<void> {
    const eps = Object.entries(c.networks ?? {});
    const addresses = eps.map(([, ep]) => ep.ipAddress).filter((a) => a !== '');
    const bridge = await this.networks.get('bridge').catch(() => undefined);
    const hostGateway = bridge?.network.ipam.config[0]?.gateway;
    await writeFileAtomic(
      c.hostsPath,
      renderHosts({
        hostname: c.config.hostname,
        domainname: c.config.domainname,
        addresses: addresses.slice(0, 1),
        extraHosts: c.hostConfig.extraHosts,
        ...(hostGateway === undefined ? {} : { hostGateway }),
      }),
    );
    const userNetwork = eps.some(([name]) => !isPredefined(name));
    const text = await fs.readFile(this.resolvConf, 'utf8').catch(() => '');
    const rendered = renderResolvConf({
      host: text,
      hostPath: this.resolvConf,
      embeddedDns: userNetwork && this.networks.dns !== undefined,
      dns: c.hostConfig.dns,
      dnsSearch: c.hostConfig.dnsSearch,
      dnsOptions: c.hostConfig.dnsOptions,
    });
    await writeFileAtomic(c.resolvConfPath, rendered.content);
  }

  async stop(c: Container): Promise<void> {
    const had = c.sandboxKey ?? '';
    await this.networks.releaseContainer(c.id);
    if (had !== '') await this.host.deleteNetns(had);
    else await this.host.deleteNetns(path.join(this.netnsDir, c.id)).catch(() => undefined);
    if (c.networks !== undefined) {
      c.sandboxKey = '';
      for (const ep of Object.values(c.networks)) Object.assign(ep, emptyEndpoint(ep.networkId, ep.config));
      c.ports = [];
    }
  }

  async remove(c: Container): Promise<void> {
    await this.stop(c);
  }

  /**
   * `network connect`: records the endpoint; on a running container it is
   * plumbed at once. The caller persists the record.
   */
  async connect(c: Container, running: boolean, network: string, cfg: EndpointConfig): Promise<void> {
    const mode = c.hostConfig.networkMode;
    if (!managedNetworkMode(mode === '' || mode === 'default' ? 'bridge' : mode)) {
      throw invalidArgument(
        `container sharing network namespace with another container or host cannot be connected to any other network`,
      );
    }
    const v = await this.networks.get(network);
    const name = v.network.name;
    if (c.networks?.[name] !== undefined) {
      throw forbidden(`endpoint with name ${c.name} already exists in network ${name}`);
    }
    this.checkEndpointConfig(name, cfg);
    const ep = emptyEndpoint(v.network.id, cfg);
    if (running) {
      await this.networks.connect(c.id, v.network.id, {
        containerName: c.name,
        aliases: cfg.aliases,
        ...(cfg.ipv4Address === '' ? {} : { ipv4Address: cfg.ipv4Address }),
        ...(cfg.macAddress === '' ? {} : { macAddress: cfg.macAddress }),
      });
    }
    c.networks = { ...(c.networks ?? {}), [name]: ep };
    if (running) {
      this.applyEndpoints(c, await this.networks.endpointsOf(c.id));
      await this.writeEtcFiles(c).catch((err) =>
        this.logger.warn('cannot rewrite /etc files', { id: c.id, error: errorMessage(err) }),
      );
    }
  }

  /** `network disconnect`. The caller persists the record. */
  async disconnect(c: Container, running: boolean, network: string, force: boolean): Promise<void> {
    const v = await this.networks.get(network).catch((err) => {
      if (force && isEngineError(err, 'not-found')) return undefined;
      throw err;
    });
    const name = v?.network.name ?? network;
    if (c.networks?.[name] === undefined) {
      throw forbidden(`container ${c.id} is not connected to network ${name}`);
    }
    if (running && v !== undefined) await this.networks.disconnect(c.id, v.network.id);
    const { [name]: _gone, ...rest } = c.networks;
    c.networks = rest;
  }

  /**
   * After a daemon restart: the network service restored bridges, endpoints
   * and the sandbox; the userland proxies died with the old daemon, so the
   * container's ports are published again on the same host ports.
   */
  async restore(c: Container): Promise<void> {
    const ports = c.ports ?? [];
    if (ports.length === 0) return;
    const bindings: PortBindingSpec[] = ports.map((p) => ({
      proto: p.proto,
      hostIp: p.hostIp,
      hostPorts: { start: p.hostPort, end: p.hostPort },
      containerPort: p.containerPort,
    }));
    await this.networks.unpublishPorts(c.id);
    const published = await this.networks.publishPorts(c.id, bindings);
    c.ports = published.map((p) => ({ ...p }));
  }

  /** At start-up: endpoints and netns files of containers that are not running any more. */
  async cleanup(running: ReadonlySet<string>): Promise<void> {
    const views = await this.networks.list();
    const owners = new Set(views.flatMap((v) => v.endpoints.map((e) => e.containerId)));
    for (const id of owners) {
      if (running.has(id)) continue;
      this.logger.info('releasing the network of a container that is not running', { id });
      await this.networks
        .releaseContainer(id)
        .catch((err) => this.logger.warn('cannot release container network', { id, error: errorMessage(err) }));
    }
    for (const name of await fs.readdir(this.netnsDir).catch(() => [] as string[])) {
      if (running.has(name)) continue;
      await this.host
        .deleteNetns(path.join(this.netnsDir, name))
        .catch((err) => this.logger.warn('cannot remove netns', { name, error: errorMessage(err) }));
    }
  }
}
