/**
 * Link, address, route and sysctl operations as data (STYLE.md §1.3). The
 * engine's bridge driver produces them; `LinuxNetworkHost.applyLinkOps`
 * executes them with `ip -batch -` (and `sysctl`), entering a network
 * namespace with `nsenter --net=<path>` as a child process when an operation
 * names one, so the daemon itself never changes namespaces (STYLE.md §1.4).
 */

/** Where an operation runs: undefined for the host's namespace, else a netns path (/proc/<pid>/ns/net or a bind-mounted file). */
export type NetnsPath = string;

export type LinkOp =
  /** Creates a bridge; nothing happens when a bridge of that name already exists. */
  | { op: 'add-bridge'; name: string; mtu: number; netns?: NetnsPath }
  /** Creates a veth pair; the peer is created directly in `peerNetns` when given. */
  | { op: 'add-veth'; name: string; peer: string; mtu: number; peerNetns?: NetnsPath; netns?: NetnsPath }
  | { op: 'set-master'; name: string; master: string; netns?: NetnsPath }
  | { op: 'set-up'; name: string; netns?: NetnsPath }
  | { op: 'rename'; name: string; newName: string; netns?: NetnsPath }
  | { op: 'set-mac'; name: string; mac: string; netns?: NetnsPath }
  /** Adds (or replaces) an IPv4 address in CIDR form, e.g. 172.17.0.1/16. */
  | { op: 'add-address'; name: string; cidr: string; netns?: NetnsPath }
  /** Adds (or replaces) a route; `dst` is 'default' or a CIDR. */
  | { op: 'add-route'; dst: string; via: string; name: string; netns?: NetnsPath }
  /** Deletes a link; a missing link is not an error. */
  | { op: 'delete-link'; name: string; netns?: NetnsPath }
  /** Writes a sysctl (dotted key) in the namespace. */
  | { op: 'sysctl'; key: string; value: string; netns?: NetnsPath };

const LINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const SYSCTL_KEY = /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/;

export class LinkOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkOpError';
  }
}

/** Throws LinkOpError when a field would not be safe to put on an `ip` batch line. */
export function validateLinkOp(op: LinkOp): void {
  const name = (n: string): void => {
    if (!LINK_NAME.test(n)) throw new LinkOpError(`invalid link name '${n}'`);
  };
  const ip = (a: string): void => {
    const m = IPV4.exec(a);
    if (m === null || m.slice(1).some((o) => Number(o) > 255)) throw new LinkOpError(`invalid IPv4 address '${a}'`);
  };
  const cidr = (c: string): void => {
    const [a, p, ...rest] = c.split('/');
    if (a === undefined || p === undefined || rest.length > 0 || !/^\d{1,2}$/.test(p) || Number(p) > 32) {
      throw new LinkOpError(`invalid CIDR '${c}'`);
    }
    ip(a);
  };
  const path = (p: string | undefined): void => {
    if (p !== undefined && (!p.startsWith('/') || /[\s\n]/.test(p))) throw new LinkOpError(`invalid netns path '${p}'`);
  };
  path(op.netns);
  switch (op.op) {
    case 'add-bridge':
      name(op.name);
      break;
    case 'add-veth':
      name(op.name);
      name(op.peer);
      path(op.peerNetns);
      break;
    case 'set-master':
      name(op.name);
      name(op.master);
      break;
    case 'set-up':
    case 'delete-link':
      name(op.name);
      break;
    case 'rename':
      name(op.name);
      name(op.newName);
      break;
    case 'set-mac':
      name(op.name);
      if (!MAC.test(op.mac)) throw new LinkOpError(`invalid MAC address '${op.mac}'`);
      break;
    case 'add-address':
      name(op.name);
      cidr(op.cidr);
      break;
    case 'add-route':
      name(op.name);
      ip(op.via);
      if (op.dst !== 'default') cidr(op.dst);
      break;
    case 'sysctl':
      if (!SYSCTL_KEY.test(op.key) || !/^[A-Za-z0-9 _.-]*$/.test(op.value)) {
        throw new LinkOpError(`invalid sysctl ${op.key}=${op.value}`);
      }
      break;
  }
  if ('mtu' in op && (!Number.isInteger(op.mtu) || op.mtu < 68 || op.mtu > 65535)) {
    throw new LinkOpError(`invalid MTU ${op.mtu}`);
  }
}

/**
 * The `ip -batch` line for an operation (without the leading `ip`), or
 * undefined for a sysctl, which is not an `ip` command.
 */
export function ipBatchLine(op: LinkOp): string | undefined {
  validateLinkOp(op);
  switch (op.op) {
    case 'add-bridge':
      return `link add name ${op.name} mtu ${op.mtu} type bridge`;
    case 'add-veth': {
      const ns = op.peerNetns === undefined ? '' : ` netns ${op.peerNetns}`;
      return `link add name ${op.name} mtu ${op.mtu} type veth peer name ${op.peer} mtu ${op.mtu}${ns}`;
    }
    case 'set-master':
      return `link set dev ${op.name} master ${op.master}`;
    case 'set-up':
      return `link set dev ${op.name} up`;
    case 'rename':
      return `link set dev ${op.name} name ${op.newName}`;
    case 'set-mac':
      return `link set dev ${op.name} address ${op.mac}`;
    case 'add-address':
      return `address replace ${op.cidr} dev ${op.name}`;
    case 'add-route':
      return `route replace ${op.dst} via ${op.via} dev ${op.name}`;
    case 'delete-link':
      return `link delete dev ${op.name}`;
    case 'sysctl':
      return undefined;
  }
}

/** Consecutive operations that run in the same namespace, in order. */
export interface LinkOpRun {
  netns: NetnsPath | undefined;
  ops: LinkOp[];
}

export function groupByNetns(ops: readonly LinkOp[]): LinkOpRun[] {
  const runs: LinkOpRun[] = [];
  for (const op of ops) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.netns === op.netns) last.ops.push(op);
    else runs.push({ netns: op.netns, ops: [op] });
  }
  return runs;
}
