/**
 * Networks and endpoints as the engine sees them (camelCase; the API
 * converts to Docker's PascalCase shapes).
 */

export type NetworkDriverName = 'bridge' | 'host' | 'null';

export interface IpamConfig {
  subnet: string;
  ipRange?: string;
  gateway: string;
}

export interface Network {
  /** 64 hex characters. */
  id: string;
  name: string;
  driver: NetworkDriverName;
  scope: 'local';
  ipam: {
    driver: 'default';
    config: IpamConfig[];
    options: Record<string, string>;
  };
  internal: boolean;
  attachable: boolean;
  /** Driver options exactly as given (`{}` when none: compose compares them). */
  options: Record<string, string>;
  labels: Record<string, string>;
  /** RFC 3339 with nanoseconds, as Docker prints it. */
  created: string;
  /** The Linux bridge for driver 'bridge': `berth0`, `br-<12 hex>` or com.docker.network.bridge.name. */
  bridge?: string;
  /** MTU of the bridge and its veths. */
  mtu?: number;
}

export interface Endpoint {
  /** 64 hex characters. */
  id: string;
  networkId: string;
  containerId: string;
  /** The container's name without the leading '/'. */
  containerName: string;
  /** Extra DNS names on this network (compose: the service name, the short id). */
  aliases: string[];
  /** Address without prefix, '' on host/none networks. */
  ipv4Address: string;
  prefixLen: number;
  gateway: string;
  macAddress: string;
  /** The host end of the veth pair (bridge networks). */
  hostVeth?: string;
  /** The interface name inside the container (eth0, eth1, ...). */
  ifName?: string;
  /** The netns the endpoint is plumbed into (survives a daemon restart). */
  sandboxKey?: string;
  /** Whether the address was asked for (`--ip`), so it is kept across restarts. */
  staticAddress: boolean;
}

export type NetworkFilters = Record<string, string[]>;

export interface CreateNetworkOptions {
  name: string;
  /** Default 'bridge'. */
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  options?: Record<string, string>;
  labels?: Record<string, string>;
  ipam?: {
    driver?: string;
    config?: Array<{ subnet?: string; ipRange?: string; gateway?: string }>;
    options?: Record<string, string>;
  };
  enableIPv6?: boolean;
}

export interface ConnectOptions {
  /** The container's name (with or without the leading '/'), for DNS. */
  containerName: string;
  aliases?: string[];
  /** A static address (`--ip`); only on networks with a user-configured subnet. */
  ipv4Address?: string;
  macAddress?: string;
}

/** A network with its endpoints, as inspect shows it. */
export interface NetworkView {
  network: Network;
  endpoints: Endpoint[];
}

/** A port published by a container (after HostPort resolution). */
export interface PublishedPort {
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** What the API and the container engine use. */
export interface NetworkService {
  createNetwork(options: CreateNetworkOptions): Promise<Network>;
  /** By full id, then exact name, then unique id prefix (as moby's FindNetwork). 404 `network X not found`. */
  get(idOrName: string): Promise<NetworkView>;
  list(filters?: NetworkFilters): Promise<NetworkView[]>;
  /** 403 for predefined networks and networks with active endpoints. */
  remove(idOrName: string): Promise<void>;
  prune(filters?: NetworkFilters): Promise<{ networksDeleted: string[] }>;
  /** Records the endpoint (allocating its address); plumbs it at once when the container's sandbox is attached. */
  connect(containerId: string, network: string, options: ConnectOptions): Promise<Endpoint>;
  disconnect(containerId: string, network: string, options?: { force?: boolean }): Promise<void>;
  endpointsOf(containerId: string): Promise<Endpoint[]>;
}
