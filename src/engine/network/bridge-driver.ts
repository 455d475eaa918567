/**
 * Docker's bridge driver as pure functions: what to do to the kernel,
 * returned as link operations and nftables ruleset text (STYLE.md §1.3).
 * src/host/network executes them.
 */
import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../../common/errors';
import type { LinkOp, NetnsPath } from '../../host/network';
import { parseIPv4, parsePrefix } from './ipv4';

export const DEFAULT_BRIDGE_NAME = 'berth0';
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';
export const DEFAULT_MTU = 1500;
/** The embedded DNS address programs in a container query. */
export const EMBEDDED_DNS_IP = '127.0.0.11';
/** The nft table berth installs inside a container's netns for the 127.0.0.11 redirect. */
export const DNS_TABLE = 'berth-dns';

const LINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

export function validLinkName(name: string): boolean {
  return LINK_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * The bridge device of a network: com.docker.network.bridge.name when given,
 * `defaultName` for the predefined `bridge` network, else `br-<12 hex of id>`.
 */
export function bridgeNameFor(
  networkId: string,
  options: Record<string, string>,
  isDefault: boolean,
  defaultName = DEFAULT_BRIDGE_NAME,
): string {
  const given = options[BRIDGE_NAME_OPTION];
  const name = given ?? (isDefault ? defaultName : `br-${networkId.slice(0, 12)}`);
  if (!validLinkName(name)) throw invalidArgument(`invalid bridge name: ${name}`);
  return name;
}

/** The MTU option of a network (com.docker.network.driver.mtu), else `fallback`. */
export function mtuFor(options: Record<string, string>, fallback = DEFAULT_MTU): number {
  const v = options[MTU_OPTION];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 68 || n > 65535) throw invalidArgument(`invalid MTU number: ${v}`);
  return n;
}

/** The MAC older Docker derived from the IPv4 address: 02:42 and the four address bytes. */
export function macFromIPv4(ip: string): string {
  const n = parseIPv4(ip);
  const bytes = [0x02, 0x42, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A random link name: `prefix` then hex up to `length` characters (veth + 7 hex = 11, as Docker). */
export function randomLinkName(prefix = 'veth', length = 11): string {
  const hexLen = length - prefix.length;
  if (hexLen < 4 || length > 15) throw invalidArgument(`link name prefix ${prefix} leaves too little room`);
  const name = `${prefix}${randomBytes(8).toString('hex').slice(0, hexLen)}`;
  return name;
}

export interface BridgeSpec {
  name: string;
  /** The gateway address given to the bridge. */
  gateway: string;
  prefixLen: number;
  mtu: number;
}

export interface BridgeHostOptions {
  /** Set net.ipv4.ip_forward=1 (Docker does; production default). */
  ipForward?: boolean;
  /** Set net.ipv4.conf.<bridge>.forwarding=1 only (routing out of this bridge without touching the global switch). */
  bridgeForwarding?: boolean;
}

/** Create (if missing), address, and bring up a bridge. */
export function ensureBridgeOps(spec: BridgeSpec, options: BridgeHostOptions = {}): LinkOp[] {
  const ops: LinkOp[] = [
    { op: 'add-bridge', name: spec.name, mtu: spec.mtu },
    { op: 'add-address', name: spec.name, cidr: `${spec.gateway}/${spec.prefixLen}` },
    { op: 'set-up', name: spec.name },
  ];
  if (options.bridgeForwarding) {
    ops.push({ op: 'sysctl', key: `net.ipv4.conf.${spec.name}.forwarding`, value: '1' });
  }
  if (options.ipForward) ops.push({ op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' });
  return ops;
}

export function deleteBridgeOps(name: string): LinkOp[] {
  return [{ op: 'delete-link', name }];
}

export interface EndpointSpec {
  bridge: string;
  mtu: number;
  /** Host end, on the bridge. */
  hostVeth: string;
  /** The peer's name while it is created in the container netns, before it is renamed to `ifName`. */
  tempPeer: string;
  netns: NetnsPath;
  /** eth0, eth1, ... */
  ifName: string;
  address: string;
  prefixLen: number;
  mac: string;
  /** Add the default route via this gateway (the container's first non-internal network). */
  defaultGateway?: string;
  /** Set route_localnet on the interface so the 127.0.0.11 DNAT to the gateway can leave it. */
  embeddedDns?: boolean;
}

/** The veth pair for one endpoint, as Docker's CreateEndpoint + Join do it. */
export function createEndpointOps(spec: EndpointSpec): LinkOp[] {
  const ns = spec.netns;
  const ops: LinkOp[] = [
    { op: 'add-veth', name: spec.hostVeth, peer: spec.tempPeer, peerNetns: ns, mtu: spec.mtu },
    { op: 'set-master', name: spec.hostVeth, master: spec.bridge },
    { op: 'set-up', name: spec.hostVeth },
    { op: 'set-up', name: 'lo', netns: ns },
    { op: 'rename', name: spec.tempPeer, newName: spec.ifName, netns: ns },
    { op: 'set-mac', name: spec.ifName, mac: spec.mac, netns: ns },
    { op: 'add-address', name: spec.ifName, cidr: `${spec.address}/${spec.prefixLen}`, netns: ns },
    { op: 'set-up', name: spec.ifName, netns: ns },
  ];
  if (spec.embeddedDns) {
    ops.push({ op: 'sysctl', key: `net.ipv4.conf.${spec.ifName}.route_localnet`, value: '1', netns: ns });
  }
  if (spec.defaultGateway !== undefined) {
    ops.push({ op: 'add-route', dst: 'default', via: spec.defaultGateway, name: spec.ifName, netns: ns });
  }
  return ops;
}

/** Deleting the host end removes the pair. */
export function deleteEndpointOps(hostVeth: string): LinkOp[] {
  return [{ op: 'delete-link', name: hostVeth }];
}

// ---------------------------------------------------------------------------
// nftables

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  /** The port the embedded DNS listens on at the gateway address (user networks). */
  dnsPort?: number;
}

export interface FirewallPort {
  proto: 'tcp' | 'udp';
  /** '' or 0.0.0.0 for every host address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  /** The bridge the container address is on. */
  bridge: string;
}

export interface FirewallState {
  /** berth's own table (family inet): `berth` in production, `berth-test-…` in tests. */
  table: string;
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}

const NFT_TABLE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function q(name: string): string {
  if (!validLinkName(name)) throw invalidArgument(`invalid interface name: ${name}`);
  return `"${name}"`;
}

function checkTable(name: string): void {
  if (!NFT_TABLE.test(name)) throw invalidArgument(`invalid nft table name: ${name}`);
}

function ip(text: string): string {
  parseIPv4(text);
  return text;
}

function cidr(text: string): string {
  parsePrefix(text);
  return text;
}

/**
 * The complete berth table. Loading it with `nft -f` replaces the previous
 * version in one transaction (declare, delete, define); no other table is
 * touched.
 *
 * - forward: internal networks (nothing in or out of their bridge), then
 *   DNATed (published) traffic accepted, then isolation (drop between
 *   different berth bridges, with a counter);
 * - input: each network's embedded DNS port answers only its own bridge;
 * - nat prerouting/output → `published`: DNAT of published ports for traffic
 *   to a local address that does not come from the container's own bridge
 *   (loopback is left to the userland proxy, as Docker does with docker-proxy);
 * - nat postrouting: masquerade of each non-internal subnet leaving through
 *   any other interface.
 */
export function renderRuleset(state: FirewallState): string {
  checkTable(state.table);
  const t = `inet ${state.table}`;
  const bridges = state.networks.map((n) => n.bridge);
  // Internal networks first (nothing crosses their bridge, not even published traffic), then
  // DNATed (published) traffic, which other bridges may reach as in Docker 28, then isolation.
  const forward: string[] = [];
  for (const n of state.networks.filter((x) => x.internal)) {
    forward.push(`iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`);
    forward.push(`oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`);
  }
  if (state.ports.length > 0) forward.push('ct status dnat accept');
  for (const n of state.networks) {
    const others = [...new Set(bridges.filter((b) => b !== n.bridge))];
    if (others.length > 0) forward.push(`iifname ${q(n.bridge)} oifname { ${others.map(q).join(', ')} } counter drop`);
  }
  const input: string[] = [];
  for (const n of state.networks) {
    if (n.dnsPort === undefined) continue;
    for (const proto of ['udp', 'tcp']) {
      input.push(`iifname != ${q(n.bridge)} ip daddr ${ip(n.gateway)} ${proto} dport ${n.dnsPort} drop`);
    }
  }
  const published: string[] = [];
  const internalBridges = new Set(state.networks.filter((n) => n.internal).map((n) => n.bridge));
  for (const p of state.ports) {
    if (internalBridges.has(p.bridge)) continue;
    const daddr = p.hostIp === '' || p.hostIp === '0.0.0.0' ? '' : `ip daddr ${ip(p.hostIp)} `;
    published.push(
      `iifname != ${q(p.bridge)} ${daddr}${p.proto} dport ${port(p.hostPort)} counter dnat ip to ${ip(p.containerIp)}:${port(p.containerPort)}`,
    );
  }
  const postrouting: string[] = [];
  for (const n of state.networks) {
    if (n.internal) continue;
    postrouting.push(`ip saddr ${cidr(n.subnet)} oifname != ${q(n.bridge)} masquerade`);
  }
  const chain = (name: string, hook: string | undefined, rules: string[]): string[] => [
    `\tchain ${name} {`,
    ...(hook === undefined ? [] : [`\t\t${hook}`]),
    ...rules.map((r) => `\t\t${r}`),
    '\t}',
  ];
  return [
    `table ${t}`,
    `delete table ${t}`,
    `table ${t} {`,
    ...chain('forward', 'type filter hook forward priority filter; policy accept;', forward),
    ...chain('input', 'type filter hook input priority filter; policy accept;', input),
    ...chain('published', undefined, published),
    ...chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', [
      'fib daddr type local jump published',
    ]),
    ...chain('output', 'type nat hook output priority -100; policy accept;', [
      'ip daddr != 127.0.0.0/8 fib daddr type local jump published',
    ]),
    ...chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postrouting),
    '}',
    '',
  ].join('\n');
}

function port(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalidArgument(`invalid port ${n}`);
  return n;
}

/** Deletes the berth table (when it exists) in one transaction. */
export function renderDeleteTable(table: string): string {
  checkTable(table);
  return `table inet ${table}\ndelete table inet ${table}\n`;
}

export interface DnsRedirect {
  /** The container's address on the network whose gateway hosts the DNS listener. */
  containerIp: string;
  gateway: string;
  port: number;
}

/**
 * The table berth loads inside a container's netns so that 127.0.0.11:53
 * reaches the daemon's DNS listener at gateway:port: DNAT in nat output, and
 * SNAT of the loopback source to the container's address (the interface
 * needs route_localnet=1 for such packets to be routed out and back).
 */
export function renderDnsRedirect(r: DnsRedirect): string {
  const t = `ip ${DNS_TABLE}`;
  const lines = [`table ${t}`, `delete table ${t}`, `table ${t} {`, '\tchain output {'];
  lines.push('\t\ttype nat hook output priority -100; policy accept;');
  for (const proto of ['udp', 'tcp']) {
    lines.push(`\t\tip daddr ${EMBEDDED_DNS_IP} ${proto} dport 53 dnat to ${ip(r.gateway)}:${port(r.port)}`);
  }
  lines.push('\t}', '\tchain postrouting {', '\t\ttype nat hook postrouting priority srcnat; policy accept;');
  for (const proto of ['udp', 'tcp']) {
    lines.push(
      `\t\tip saddr 127.0.0.0/8 ip daddr ${ip(r.gateway)} ${proto} dport ${port(r.port)} snat to ${ip(r.containerIp)}`,
    );
  }
  lines.push('\t}', '}', '');
  return lines.join('\n');
}
