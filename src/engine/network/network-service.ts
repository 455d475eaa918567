/**
 * LocalNetworkService: networks, endpoints, sandboxes and published ports on
 * one host, with Docker's bridge driver semantics. Policy only: the kernel
 * work is handed to a NetworkHost as link ops and nft rulesets.
 *
 * Lifecycle the container engine drives (see the report in docs):
 *   start:  attachSandbox(id, {netns}) → connect(id, net, …) for each network
 *           (either order) → publishPorts(id, bindings) → start the task
 *   stop:   releaseContainer(id) (unpublish, delete veths, disconnect all)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomHex } from '../../common/atomic';
import { conflict, EngineError, forbidden, invalidArgument, notFound, notImplemented } from '../../common/errors';
import { type NetworkHost, type ProxySpec, startProxy, type UserlandProxy } from '../../host/network';
import {
  BRIDGE_NAME_OPTION,
  bridgeNameFor,
  createEndpointOps,
  DEFAULT_BRIDGE_NAME,
  DNS_TABLE,
  deleteBridgeOps,
  deleteEndpointOps,
  ensureBridgeOps,
  type FirewallState,
  macFromIPv4,
  mtuFor,
  randomLinkName,
  renderDnsRedirect,
  renderRuleset,
} from './bridge-driver';
import { DnsRecords, EmbeddedDns, type Upstream } from './dns-server';
import { upstreamsFromResolvConf } from './etc-files';
import { type AddressPool, Ipam, parseBip } from './ipam';
import { parsePrefix } from './ipv4';
import { NetworkStore, type StoredNetwork } from './network-store';
import { PortAllocator, type PortBindingSpec, type PortRange } from './port-mappings';
import { Serial } from './serial';
import type {
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  Network,
  NetworkDriverName,
  NetworkFilters,
  NetworkService,
  NetworkView,
  PublishedPort,
} from './types';

export const PREDEFINED_NETWORKS = ['bridge', 'host', 'none'] as const;

export interface LocalNetworkServiceOptions {
  /** State directory, e.g. <data-root>/network (ipam/, networks/, links.json). */
  root: string;
  host: NetworkHost;
  /** berth's nft table (family inet). Default 'berth'; tests use 'berth-test-…'. */
  table?: string;
  /** The default `bridge` network's device. Default berth0. */
  defaultBridge?: string;
  /** --bip */
  bip?: string;
  /** --default-address-pool (replaces the defaults). */
  addressPools?: AddressPool[];
  /** Default MTU (daemon `mtu`), 1500. */
  mtu?: number;
  /** Prefix of host-side veth names (default 'veth', 11 characters in all). */
  vethPrefix?: string;
  /** Prefix of user networks' bridges (default 'br-', then hex of the id up to 15 characters). */
  bridgePrefix?: string;
  /**
   * Enable routing: 'global' sets net.ipv4.ip_forward=1 (Docker's behaviour, the
   * default); 'bridge' only net.ipv4.conf.<bridge>.forwarding=1; 'none' nothing.
   */
  forwarding?: 'global' | 'bridge' | 'none';
  /** Embedded DNS upstreams; default: the host's non-loopback resolvers. */
  dnsUpstreams?: Upstream[];
  /** Turn the embedded DNS off (no listeners, no 127.0.0.11 redirect). */
  embeddedDns?: boolean;
  /** Ephemeral host ports (default 49153–65535). */
  ephemeralPorts?: PortRange;
  now?: () => Date;
}

interface Sandbox {
  netns: string;
  /** The endpoint whose network gives the default route. */
  gatewayEndpoint?: string;
  /** The network whose gateway hosts the DNS the netns redirects 127.0.0.11 to. */
  dnsNetwork?: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export class LocalNetworkService implements NetworkService {
  private readonly serial = new Serial();
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly proxies = new Map<string, Array<{ proxy: UserlandProxy; published: PublishedPort }>>();
  private readonly ports: PortAllocator;
  readonly dns: EmbeddedDns | undefined;
  private readonly table: string;
  private readonly defaultBridge: string;
  private readonly mtu: number;
  private readonly vethPrefix: string;
  private readonly forwarding: 'global' | 'bridge' | 'none';
  private readonly now: () => Date;

  private constructor(
    private readonly options: LocalNetworkServiceOptions,
    private readonly store: NetworkStore,
    private readonly ipam: Ipam,
    dns: EmbeddedDns | undefined,
  ) {
    this.host = options.host;
    this.table = options.table ?? 'berth';
    this.defaultBridge = options.defaultBridge ?? DEFAULT_BRIDGE_NAME;
    this.mtu = options.mtu ?? 1500;
    this.vethPrefix = options.vethPrefix ?? 'veth';
    this.forwarding = options.forwarding ?? 'global';
    this.now = options.now ?? (() => new Date());
    this.ports = new PortAllocator(options.ephemeralPorts);
    this.dns = dns;
  }

  private readonly host: NetworkHost;

  /**
   * Loads state, creates the predefined networks on first use, removes links
   * berth created that no record owns, re-creates bridges berth owns, starts
   * their DNS listeners and loads the nft table.
   */
  static async open(options: LocalNetworkServiceOptions): Promise<LocalNetworkService> {
    await fs.mkdir(options.root, { recursive: true });
    const store = await NetworkStore.open(options.root);
    const ipam = await Ipam.open({
      root: path.join(options.root, 'ipam'),
      ...(options.addressPools === undefined ? {} : { pools: options.addressPools }),
      reserved: async () => {
        const routed = await options.host.routedPrefixes();
        const servers = upstreamsFromResolvConf((await options.host.readResolvConf()).text);
        return [...routed, ...servers.map((s) => `${s.host}/32`)];
      },
    });
    let dns: EmbeddedDns | undefined;
    if (options.embeddedDns ?? true) {
      const upstreams = options.dnsUpstreams ?? upstreamsFromResolvConf((await options.host.readResolvConf()).text);
      dns = new EmbeddedDns({ records: new DnsRecords(), upstreams });
    }
    const svc = new LocalNetworkService(options, store, ipam, dns);
    await svc.serial.run(() => svc.recover());
    return svc;
  }

  // ------------------------------------------------------------------ networks

  createNetwork(options: CreateNetworkOptions): Promise<Network> {
    return this.serial.run(async () => {
      const name = options.name;
      if (name === '' || !NAME_RE.test(name)) throw invalidArgument(`invalid network name: ${JSON.stringify(name)}`);
      if (this.store.all().some((r) => r.network.name === name)) {
        throw conflict(`network with name ${name} already exists`);
      }
      const driver = options.driver === undefined || options.driver === '' ? 'bridge' : options.driver;
      if (driver === 'host' || driver === 'null')
        throw forbidden(`only one instance of "${driver}" network is allowed`);
      if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
      if (options.enableIPv6) throw notImplemented('IPv6 networks are not supported by berth');
      const ipamDriver = options.ipam?.driver ?? 'default';
      if (ipamDriver !== '' && ipamDriver !== 'default')
        throw notImplemented(`IPAM driver ${ipamDriver} is not supported`);
      const configs = (options.ipam?.config ?? []).filter((c) => !(c.subnet ?? '').includes(':'));
      if (configs.length > 1) throw notImplemented('berth supports one IPv4 subnet per network');
      const cfg = configs[0] ?? {};
      if (cfg.subnet === undefined && (cfg.ipRange !== undefined || cfg.gateway !== undefined)) {
        throw invalidArgument('ip-range and gateway need a subnet');
      }
      const netOptions = { ...(options.options ?? {}) };
      const id = randomHex(32);
      const prefix = this.options.bridgePrefix;
      const bridge =
        prefix === undefined || netOptions[BRIDGE_NAME_OPTION] !== undefined
          ? bridgeNameFor(id, netOptions, false)
          : `${prefix}${id.slice(0, 15 - prefix.length)}`;
      if (this.store.all().some((r) => r.network.bridge === bridge)) {
        throw conflict(`bridge name ${bridge} is already used by another network`);
      }
      const mtu = mtuFor(netOptions, this.mtu);
      const req: { subnet?: string; ipRange?: string; gateway?: string } = {};
      if (cfg.subnet !== undefined) req.subnet = cfg.subnet;
      if (cfg.ipRange !== undefined) req.ipRange = cfg.ipRange;
      if (cfg.gateway !== undefined) req.gateway = cfg.gateway;
      const alloc = await this.ipam.requestPool(id, req);
      const network: Network = {
        id,
        name,
        driver: 'bridge',
        scope: 'local',
        ipam: { driver: 'default', config: [alloc], options: { ...(options.ipam?.options ?? {}) } },
        internal: options.internal ?? false,
        attachable: options.attachable ?? false,
        options: netOptions,
        labels: { ...(options.labels ?? {}) },
        created: this.now().toISOString(),
        bridge,
        mtu,
      };
      const rec: StoredNetwork = { network, endpoints: [], userSubnet: cfg.subnet !== undefined };
      try {
        await this.store.put(rec);
        await this.materialize(rec);
      } catch (err) {
        await this.teardownNetwork(rec).catch(() => undefined);
        throw err;
      }
      return structuredClone(network);
    });
  }

  async get(idOrName: string): Promise<NetworkView> {
    return view(this.find(idOrName));
  }

  async list(filters: NetworkFilters = {}): Promise<NetworkView[]> {
    const match = networkFilter(filters);
    return this.store
      .all()
      .filter(match)
      .sort((a, b) => a.network.created.localeCompare(b.network.created))
      .map(view);
  }

  remove(idOrName: string): Promise<void> {
    return this.serial.run(async () => {
      const rec = this.find(idOrName);
      this.checkRemovable(rec);
      await this.teardownNetwork(rec);
    });
  }

  prune(filters: NetworkFilters = {}): Promise<{ networksDeleted: string[] }> {
    return this.serial.run(async () => {
      for (const key of Object.keys(filters)) {
        if (!['label', 'label!', 'until'].includes(key)) throw invalidArgument(`invalid filter '${key}'`);
      }
      const until = filters.until?.[0];
      const cutoff = until === undefined ? undefined : parseUntil(until, this.now());
      const deleted: string[] = [];
      for (const rec of this.store.all()) {
        const n = rec.network;
        if (isPredefined(n.name) || rec.endpoints.length > 0) continue;
        if (!labelsMatch(filters.label ?? [], n.labels)) continue;
        if ((filters['label!'] ?? []).some((l) => labelsMatch([l], n.labels))) continue;
        if (cutoff !== undefined && Date.parse(n.created) >= cutoff) continue;
        await this.teardownNetwork(rec);
        deleted.push(n.name);
      }
      return { networksDeleted: deleted };
    });
  }

  // ------------------------------------------------------------------ endpoints

  connect(containerId: string, network: string, options: ConnectOptions): Promise<Endpoint> {
    return this.serial.run(async () => {
      const rec = this.find(network);
      const n = rec.network;
      const containerName = options.containerName.replace(/^\//, '');
      if (rec.endpoints.some((e) => e.containerId === containerId)) {
        throw forbidden(`endpoint with name ${containerName} already exists in network ${n.name}`);
      }
      const aliases = [...new Set(options.aliases ?? [])];
      const isUser = !isPredefined(n.name);
      if (aliases.length > 0 && !isUser) {
        throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
      }
      const endpoint: Endpoint = {
        id: randomHex(32),
        networkId: n.id,
        containerId,
        containerName,
        aliases,
        ipv4Address: '',
        prefixLen: 0,
        gateway: '',
        macAddress: '',
        staticAddress: options.ipv4Address !== undefined && options.ipv4Address !== '',
      };
      if (n.driver === 'bridge') {
        if (endpoint.staticAddress && !rec.userSubnet) {
          throw invalidArgument(
            'user specified IP address is supported only when connecting to networks with user configured subnets',
          );
        }
        const cfg = n.ipam.config[0];
        if (cfg === undefined) throw forbidden(`network ${n.name} has no address pool`);
        await this.ensurePool(rec);
        const ip = await this.ipam.requestAddress(n.id, {
          owner: endpoint.id,
          ...(endpoint.staticAddress ? { address: options.ipv4Address as string } : {}),
        });
        endpoint.ipv4Address = ip;
        endpoint.prefixLen = parsePrefix(cfg.subnet).bits;
        endpoint.gateway = n.internal ? '' : cfg.gateway;
        endpoint.macAddress = options.macAddress?.toLowerCase() || macFromIPv4(ip);
      }
      rec.endpoints.push(endpoint);
      try {
        await this.store.put(rec);
        this.addDnsRecord(rec, endpoint);
        const sb = this.sandboxes.get(containerId);
        if (sb !== undefined && n.driver === 'bridge') {
          await this.materialize(rec);
          await this.plumb(containerId, sb);
        }
      } catch (err) {
        await this.dropEndpoint(rec, endpoint).catch(() => undefined);
        throw err;
      }
      return structuredClone(this.endpoint(n.id, endpoint.id) ?? endpoint);
    });
  }

  disconnect(containerId: string, network: string, _options: { force?: boolean } = {}): Promise<void> {
    return this.serial.run(async () => {
      const rec = this.find(network);
      const ep = rec.endpoints.find((e) => e.containerId === containerId);
      if (ep === undefined) {
        throw forbidden(`container ${containerId} is not connected to network ${rec.network.name}`);
      }
      await this.dropEndpoint(rec, ep);
      const sb = this.sandboxes.get(containerId);
      if (sb !== undefined) await this.plumb(containerId, sb);
    });
  }

  async endpointsOf(containerId: string): Promise<Endpoint[]> {
    return this.containerEndpoints(containerId).map((e) => structuredClone(e));
  }

  // ------------------------------------------------------------------ sandboxes

  /**
   * Tells the service the container's network namespace (a named netns path or
   * /proc/<pid>/ns/net) and plumbs every endpoint the container has.
   */
  attachSandbox(containerId: string, sandbox: { netns: string }): Promise<Endpoint[]> {
    return this.serial.run(async () => {
      const have = this.sandboxes.get(containerId);
      if (have !== undefined && have.netns !== sandbox.netns) {
        throw conflict(`container ${containerId} already has a network sandbox`);
      }
      const sb: Sandbox = have ?? { netns: sandbox.netns };
      this.sandboxes.set(containerId, sb);
      for (const rec of this.store.all()) {
        if (rec.network.driver === 'bridge' && rec.endpoints.some((e) => e.containerId === containerId)) {
          await this.materialize(rec);
        }
      }
      await this.plumb(containerId, sb);
      return this.containerEndpoints(containerId).map((e) => structuredClone(e));
    });
  }

  /** Removes the container's veths and published ports; its endpoints (and addresses) stay. */
  detachSandbox(containerId: string): Promise<void> {
    return this.serial.run(() => this.detach(containerId));
  }

  /** What the engine calls when a container stops: detach, then disconnect from every network. */
  releaseContainer(containerId: string): Promise<void> {
    return this.serial.run(async () => {
      await this.detach(containerId);
      for (const rec of this.store.all()) {
        for (const ep of rec.endpoints.filter((e) => e.containerId === containerId)) await this.dropEndpoint(rec, ep);
      }
    });
  }

  // ------------------------------------------------------------------ ports

  /**
   * Publishes ports of a running container: a userland proxy per binding
   * (which also reserves the host port) and a DNAT rule for traffic to host
   * addresses from outside the container's bridge.
   */
  publishPorts(containerId: string, bindings: readonly PortBindingSpec[]): Promise<PublishedPort[]> {
    return this.serial.run(async () => {
      const target = this.portTarget(containerId);
      if (target === undefined) {
        if (bindings.length === 0) return [];
        throw forbidden(`container ${containerId} has no bridge endpoint to publish ports on`);
      }
      const list = this.proxies.get(containerId) ?? [];
      this.proxies.set(containerId, list);
      const added: PublishedPort[] = [];
      try {
        for (const b of bindings) {
          let proxy: UserlandProxy | undefined;
          const hostPort = await this.ports.allocate(b.proto, b.hostIp, b.hostPorts, async (port) => {
            const spec: ProxySpec = {
              proto: b.proto,
              hostIp: b.hostIp,
              hostPort: port,
              containerIp: target.ipv4Address,
              containerPort: b.containerPort,
            };
            try {
              proxy = await startProxy(spec);
              return true;
            } catch {
              return false;
            }
          });
          if (proxy === undefined) throw new Error('port allocator returned without a proxy');
          const published: PublishedPort = {
            proto: b.proto,
            hostIp: b.hostIp,
            hostPort,
            containerPort: b.containerPort,
          };
          list.push({ proxy, published });
          added.push(published);
        }
        await this.applyFirewall();
      } catch (err) {
        await this.unpublish(containerId);
        throw err;
      }
      return added;
    });
  }

  unpublishPorts(containerId: string): Promise<void> {
    return this.serial.run(() => this.unpublish(containerId));
  }

  publishedPorts(containerId: string): PublishedPort[] {
    return (this.proxies.get(containerId) ?? []).map((p) => ({ ...p.published }));
  }

  /** Reloads berth's nft table from the current state (after a firewall reload elsewhere wiped it). */
  reapplyFirewall(): Promise<void> {
    return this.serial.run(() => this.applyFirewall());
  }

  /** Closes DNS listeners and proxies (daemon shutdown). Kernel state stays for the next start. */
  async close(): Promise<void> {
    await this.serial.run(async () => {
      for (const list of this.proxies.values()) for (const p of list) await p.proxy.close();
      this.proxies.clear();
      await this.dns?.closeAll();
    });
  }

  /**
   * Removes everything berth made in the kernel for this instance: every
   * sandbox's veths, every bridge in the ledger, the nft table. Records stay
   * (tests and `berthd --cleanup`).
   */
  async destroyKernelState(): Promise<void> {
    await this.close();
    await this.serial.run(async () => {
      this.sandboxes.clear();
      for (const entry of this.store.links()) {
        await this.host.applyLinkOps(deleteEndpointOps(entry.name));
        await this.store.dropLink(entry.name);
      }
      await this.host.deleteNftTable({ family: 'inet', name: this.table });
    });
  }

  // ------------------------------------------------------------------ internals

  private async recover(): Promise<void> {
    const byName = new Map(this.store.all().map((r) => [r.network.name, r]));
    const mk = async (name: string, driver: NetworkDriverName): Promise<void> => {
      if (byName.has(name)) return;
      const id = randomHex(32);
      const network: Network = {
        id,
        name,
        driver,
        scope: 'local',
        ipam: { driver: 'default', config: [], options: {} },
        internal: false,
        attachable: false,
        options: {},
        labels: {},
        created: this.now().toISOString(),
      };
      let userSubnet = false;
      if (driver === 'bridge') {
        const bip = this.options.bip === undefined ? undefined : parseBip(this.options.bip);
        const alloc = await this.ipam.requestPool(id, bip ?? {});
        userSubnet = bip !== undefined;
        network.ipam.config = [alloc];
        network.bridge = this.defaultBridge;
        network.mtu = this.mtu;
        network.options = {
          'com.docker.network.bridge.default_bridge': 'true',
          'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true',
          'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
          [BRIDGE_NAME_OPTION]: this.defaultBridge,
          'com.docker.network.driver.mtu': String(this.mtu),
        };
      }
      await this.store.put({ network, endpoints: [], userSubnet });
    };
    await mk('bridge', 'bridge');
    await mk('host', 'host');
    await mk('none', 'null');
    for (const rec of this.store.all()) {
      if (rec.network.driver !== 'bridge') continue;
      await this.ensurePool(rec);
      const owned = this.ipam.addresses(rec.network.id);
      for (const ep of rec.endpoints) {
        if (ep.ipv4Address !== '' && owned[ep.ipv4Address] === undefined) {
          await this.ipam
            .requestAddress(rec.network.id, { owner: ep.id, address: ep.ipv4Address })
            .catch(() => undefined);
        }
        this.addDnsRecord(rec, ep);
        if (ep.sandboxKey !== undefined && !this.sandboxes.has(ep.containerId)) {
          this.sandboxes.set(ep.containerId, { netns: ep.sandboxKey });
        }
      }
    }
    // Links berth created that no record owns any more (a crash between steps).
    const bridges = new Set(this.store.all().map((r) => r.network.bridge));
    const veths = new Set(this.store.all().flatMap((r) => r.endpoints.map((e) => e.hostVeth)));
    for (const entry of this.store.links()) {
      const owned = entry.kind === 'bridge' ? bridges.has(entry.name) : veths.has(entry.name);
      if (!owned) {
        await this.host.applyLinkOps(deleteEndpointOps(entry.name));
        await this.store.dropLink(entry.name);
      }
    }
    const ledgerBridges = new Set(
      this.store
        .links()
        .filter((l) => l.kind === 'bridge')
        .map((l) => l.name),
    );
    for (const rec of this.store.all()) {
      if (rec.network.bridge !== undefined && ledgerBridges.has(rec.network.bridge)) await this.materialize(rec, false);
    }
    await this.applyFirewall();
  }

  private async ensurePool(rec: StoredNetwork): Promise<void> {
    const cfg = rec.network.ipam.config[0];
    if (cfg === undefined || this.ipam.pool(rec.network.id) !== undefined) return;
    const req: { subnet: string; gateway: string; ipRange?: string } = { subnet: cfg.subnet, gateway: cfg.gateway };
    if (cfg.ipRange !== undefined) req.ipRange = cfg.ipRange;
    await this.ipam.requestPool(rec.network.id, req);
  }

  private isMaterialized(rec: StoredNetwork): boolean {
    const b = rec.network.bridge;
    return b !== undefined && this.store.links().some((l) => l.kind === 'bridge' && l.name === b);
  }

  /** Creates the bridge (idempotent), its DNS listener, and reloads the firewall. */
  private async materialize(rec: StoredNetwork, firewall = true): Promise<void> {
    const n = rec.network;
    const cfg = n.ipam.config[0];
    if (n.driver !== 'bridge' || n.bridge === undefined || cfg === undefined) return;
    await this.store.addLink({ name: n.bridge, kind: 'bridge' });
    await this.host.applyLinkOps(
      ensureBridgeOps(
        { name: n.bridge, gateway: cfg.gateway, prefixLen: parsePrefix(cfg.subnet).bits, mtu: n.mtu ?? this.mtu },
        { ipForward: this.forwarding === 'global', bridgeForwarding: this.forwarding === 'bridge' },
      ),
    );
    if (this.dns !== undefined && !isPredefined(n.name) && this.dns.portOf(n.id) === undefined) {
      const port = await this.dns.listen(n.id, cfg.gateway, rec.dnsPort ?? 0);
      if (rec.dnsPort !== port) {
        rec.dnsPort = port;
        await this.store.put(rec);
      }
    }
    if (firewall) await this.applyFirewall();
  }

  private firewallState(): FirewallState {
    const state: FirewallState = { table: this.table, networks: [], ports: [] };
    for (const rec of this.store.all()) {
      const n = rec.network;
      const cfg = n.ipam.config[0];
      if (n.driver !== 'bridge' || n.bridge === undefined || cfg === undefined || !this.isMaterialized(rec)) continue;
      const port = this.dns?.portOf(n.id);
      state.networks.push({
        bridge: n.bridge,
        subnet: cfg.subnet,
        gateway: cfg.gateway,
        internal: n.internal,
        ...(port === undefined ? {} : { dnsPort: port }),
      });
    }
    for (const [cid, list] of this.proxies) {
      const target = this.portTarget(cid);
      const bridge = target === undefined ? undefined : this.store.get(target.networkId)?.network.bridge;
      if (target === undefined || bridge === undefined) continue;
      for (const { published } of list) {
        state.ports.push({
          proto: published.proto,
          hostIp: published.hostIp,
          hostPort: published.hostPort,
          containerIp: target.ipv4Address,
          containerPort: published.containerPort,
          bridge,
        });
      }
    }
    return state;
  }

  private async applyFirewall(): Promise<void> {
    await this.host.applyNftRuleset(renderRuleset(this.firewallState()));
  }

  /** Brings the container's netns in line with its endpoints: veths, default route, DNS redirect. */
  private async plumb(containerId: string, sb: Sandbox): Promise<void> {
    const eps = this.containerEndpoints(containerId);
    const usedIf = new Set(eps.flatMap((e) => (e.ifName === undefined ? [] : [e.ifName])));
    if (sb.gatewayEndpoint !== undefined && !eps.some((e) => e.id === sb.gatewayEndpoint && e.hostVeth)) {
      delete sb.gatewayEndpoint;
    }
    const dnsCandidate = eps.find((e) => {
      const rec = this.store.get(e.networkId);
      return rec !== undefined && rec.network.driver === 'bridge' && !isPredefined(rec.network.name);
    });
    for (const ep of eps) {
      const rec = this.store.get(ep.networkId);
      if (rec === undefined || rec.network.driver !== 'bridge' || ep.hostVeth !== undefined) continue;
      const n = rec.network;
      let index = 0;
      while (usedIf.has(`eth${index}`)) index++;
      const ifName = `eth${index}`;
      usedIf.add(ifName);
      const hostVeth = randomLinkName(this.vethPrefix);
      const useGateway = sb.gatewayEndpoint === undefined && ep.gateway !== '';
      await this.store.addLink({ name: hostVeth, kind: 'veth' });
      await this.host.applyLinkOps(
        createEndpointOps({
          bridge: n.bridge as string,
          mtu: n.mtu ?? this.mtu,
          hostVeth,
          tempPeer: randomLinkName(this.vethPrefix),
          netns: sb.netns,
          ifName,
          address: ep.ipv4Address,
          prefixLen: ep.prefixLen,
          mac: ep.macAddress,
          ...(useGateway ? { defaultGateway: ep.gateway } : {}),
          embeddedDns: this.dns !== undefined && dnsCandidate?.id === ep.id,
        }),
      );
      if (useGateway) sb.gatewayEndpoint = ep.id;
      ep.hostVeth = hostVeth;
      ep.ifName = ifName;
      ep.sandboxKey = sb.netns;
      await this.store.put(rec);
    }
    // The 127.0.0.11 redirect follows the first user-defined network.
    if (this.dns === undefined) return;
    const dnsNet = dnsCandidate?.networkId;
    if (dnsNet === sb.dnsNetwork) return;
    if (dnsCandidate === undefined || dnsNet === undefined) {
      await this.host.deleteNftTable({ family: 'ip', name: DNS_TABLE }, { netns: sb.netns }).catch(() => undefined);
      delete sb.dnsNetwork;
      return;
    }
    const rec = this.store.get(dnsNet);
    const port = this.dns.portOf(dnsNet);
    if (rec === undefined || port === undefined) return;
    if (dnsCandidate.ifName !== undefined) {
      await this.host.applyLinkOps([
        { op: 'sysctl', key: `net.ipv4.conf.${dnsCandidate.ifName}.route_localnet`, value: '1', netns: sb.netns },
      ]);
    }
    await this.host.applyNftRuleset(
      renderDnsRedirect({
        containerIp: dnsCandidate.ipv4Address,
        gateway: dnsCandidate.gateway || (rec.network.ipam.config[0]?.gateway ?? ''),
        port,
      }),
      { netns: sb.netns },
    );
    sb.dnsNetwork = dnsNet;
  }

  private async detach(containerId: string): Promise<void> {
    await this.unpublish(containerId);
    for (const rec of this.store.all()) {
      let changed = false;
      for (const ep of rec.endpoints.filter((e) => e.containerId === containerId)) {
        if (ep.hostVeth !== undefined) {
          await this.host.applyLinkOps(deleteEndpointOps(ep.hostVeth));
          await this.store.dropLink(ep.hostVeth);
        }
        delete ep.hostVeth;
        delete ep.ifName;
        delete ep.sandboxKey;
        changed = true;
      }
      if (changed) await this.store.put(rec);
    }
    this.sandboxes.delete(containerId);
  }

  private async unpublish(containerId: string): Promise<void> {
    const list = this.proxies.get(containerId);
    if (list === undefined) return;
    this.proxies.delete(containerId);
    for (const { proxy, published } of list) {
      await proxy.close();
      this.ports.release(published.proto, published.hostIp, published.hostPort);
    }
    await this.applyFirewall();
  }

  private async dropEndpoint(rec: StoredNetwork, ep: Endpoint): Promise<void> {
    if (ep.hostVeth !== undefined) {
      await this.host.applyLinkOps(deleteEndpointOps(ep.hostVeth));
      await this.store.dropLink(ep.hostVeth);
    }
    if (ep.ipv4Address !== '') await this.ipam.releaseAddress(rec.network.id, ep.ipv4Address);
    this.dns?.records.delete(rec.network.id, ep.containerId);
    rec.endpoints = rec.endpoints.filter((e) => e.id !== ep.id);
    await this.store.put(rec);
    const sb = this.sandboxes.get(ep.containerId);
    if (sb?.gatewayEndpoint === ep.id) delete sb.gatewayEndpoint;
  }

  private async teardownNetwork(rec: StoredNetwork): Promise<void> {
    const n = rec.network;
    await this.dns?.close(n.id);
    this.dns?.records.deleteNetwork(n.id);
    if (n.bridge !== undefined && this.isMaterialized(rec)) {
      await this.host.applyLinkOps(deleteBridgeOps(n.bridge));
      await this.store.dropLink(n.bridge);
    }
    await this.ipam.releasePool(n.id);
    await this.store.delete(n.id);
    await this.applyFirewall();
  }

  private addDnsRecord(rec: StoredNetwork, ep: Endpoint): void {
    if (this.dns === undefined || isPredefined(rec.network.name) || ep.ipv4Address === '') return;
    this.dns.records.set(rec.network.id, ep.containerId, {
      ip: ep.ipv4Address,
      names: [ep.containerName, ...ep.aliases, ep.containerId.slice(0, 12)],
    });
  }

  private checkRemovable(rec: StoredNetwork): void {
    if (isPredefined(rec.network.name)) {
      throw forbidden(`${rec.network.name} is a pre-defined network and cannot be removed`);
    }
    if (rec.endpoints.length > 0) {
      const names = rec.endpoints.map((e) => e.containerName).join(', ');
      throw forbidden(
        `error while removing network: network ${rec.network.name} id ${rec.network.id} has active endpoints (${names})`,
      );
    }
  }

  /** The endpoint whose address published ports go to: the first non-internal bridge endpoint with a veth. */
  private portTarget(containerId: string): Endpoint | undefined {
    return this.containerEndpoints(containerId).find((e) => {
      const n = this.store.get(e.networkId)?.network;
      return n?.driver === 'bridge' && !n.internal && e.ipv4Address !== '';
    });
  }

  private containerEndpoints(containerId: string): Endpoint[] {
    return this.store.all().flatMap((r) => r.endpoints.filter((e) => e.containerId === containerId));
  }

  private endpoint(networkId: string, endpointId: string): Endpoint | undefined {
    return this.store.get(networkId)?.endpoints.find((e) => e.id === endpointId);
  }

  /** moby's FindNetwork: full id, exact name, then a unique id prefix. */
  private find(idOrName: string): StoredNetwork {
    const all = this.store.all();
    const byId = all.find((r) => r.network.id === idOrName);
    if (byId) return byId;
    const byName = all.find((r) => r.network.name === idOrName);
    if (byName) return byName;
    if (idOrName !== '' && /^[0-9a-f]+$/.test(idOrName)) {
      const prefixed = all.filter((r) => r.network.id.startsWith(idOrName));
      if (prefixed.length === 1 && prefixed[0]) return prefixed[0];
      if (prefixed.length > 1) {
        throw new EngineError(
          'invalid-argument',
          `network ${idOrName} is ambiguous (${prefixed.length} matches found based on ID prefix)`,
        );
      }
    }
    throw notFound(`network ${idOrName} not found`);
  }
}

export function isPredefined(name: string): boolean {
  return (PREDEFINED_NETWORKS as readonly string[]).includes(name);
}

function view(rec: StoredNetwork): NetworkView {
  return { network: structuredClone(rec.network), endpoints: rec.endpoints.map((e) => structuredClone(e)) };
}

function labelsMatch(filters: readonly string[], labels: Record<string, string>): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, f);
    return labels[f.slice(0, eq)] === f.slice(eq + 1);
  });
}

function matchText(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return value.includes(pattern);
  }
}

const LIST_FILTERS = new Set(['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling']);

function networkFilter(filters: NetworkFilters): (rec: StoredNetwork) => boolean {
  for (const key of Object.keys(filters)) if (!LIST_FILTERS.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  for (const t of filters.type ?? []) {
    if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
  }
  const dangling = filters.dangling ?? [];
  for (const d of dangling) {
    if (!['true', 'false', '1', '0'].includes(d.toLowerCase())) {
      throw invalidArgument(`invalid filter 'dangling=${d}'`);
    }
  }
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const vs = filters[key] ?? [];
    return vs.length === 0 || vs.some(test);
  };
  return (rec) => {
    const n = rec.network;
    const builtin = isPredefined(n.name);
    if (!any('name', (v) => matchText(v, n.name))) return false;
    if (!any('id', (v) => matchText(v, n.id))) return false;
    if (!any('driver', (v) => v === n.driver)) return false;
    if (!any('scope', (v) => v === n.scope)) return false;
    if (!any('type', (v) => (v === 'builtin') === builtin)) return false;
    if (!labelsMatch(filters.label ?? [], n.labels)) return false;
    if (dangling.length > 0) {
      const want = ['true', '1'].includes((dangling[0] ?? '').toLowerCase());
      const isDangling = !builtin && rec.endpoints.length === 0;
      if (want !== isDangling) return false;
    }
    return true;
  };
}

/** `until`: a Unix timestamp, an RFC 3339 date, or a Go duration like `24h` / `10m`. */
function parseUntil(text: string, now: Date): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const dur = /^(\d+(?:\.\d+)?)(h|m|s|ms)$/.exec(text);
  if (dur) {
    const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[dur[2] as 'h' | 'm' | 's' | 'ms'];
    return now.getTime() - Number(dur[1]) * unit;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${text}'`);
  return t;
}
