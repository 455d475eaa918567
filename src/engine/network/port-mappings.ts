/**
 * Published ports: parsing `-p` specs and Docker's PortBindings, and choosing
 * host ports (a requested one, one from a requested range, or an ephemeral
 * one from 49153–65535, as Docker's port allocator).
 */
import { conflict, invalidArgument } from '../../common/errors';
import { isIPv4 } from './ipv4';
import { Serial } from './serial';

export type Proto = 'tcp' | 'udp';

export interface PortRange {
  start: number;
  end: number;
}

/** One container port published on one host address; `hostPorts` undefined means an ephemeral port. */
export interface PortBindingSpec {
  proto: Proto;
  /** '' for every address. */
  hostIp: string;
  hostPorts: PortRange | undefined;
  containerPort: number;
}

export const EPHEMERAL_PORTS: PortRange = { start: 49153, end: 65535 };

function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalidArgument(`invalid ${what}: ${text}`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw invalidArgument(`invalid ${what}: ${text}`);
  return n;
}

/** `80` or `8000-8010`. */
export function parsePortRange(text: string, what = 'port'): PortRange {
  const [a, b, ...rest] = text.split('-');
  if (a === undefined || rest.length > 0) throw invalidArgument(`invalid ${what}: ${text}`);
  const start = parsePort(a, what);
  const end = b === undefined ? start : parsePort(b, what);
  if (end < start) throw invalidArgument(`invalid ${what}: ${text}`);
  return { start, end };
}

function parseProto(text: string | undefined): Proto {
  const p = (text ?? 'tcp').toLowerCase();
  if (p !== 'tcp' && p !== 'udp') throw invalidArgument(`invalid proto: ${text}`);
  return p;
}

/**
 * A `docker run -p` value: `80`, `8080:80`, `8000-8001:80-81/udp`,
 * `127.0.0.1:8080:80`, `127.0.0.1::80`, `[::1]:80:80` (IPv6 is refused).
 */
export function parsePortSpec(spec: string): PortBindingSpec[] {
  const [body = '', protoText, ...extra] = spec.split('/');
  if (extra.length > 0) throw invalidArgument(`invalid port spec: ${spec}`);
  const proto = parseProto(protoText);
  if (body.startsWith('[')) throw invalidArgument(`IPv6 port bindings are not supported: ${spec}`);
  const parts = body.split(':');
  let hostIp = '';
  let hostText = '';
  let containerText: string;
  if (parts.length === 1) containerText = parts[0] ?? '';
  else if (parts.length === 2) [hostText = '', containerText = ''] = parts;
  else if (parts.length === 3) [hostIp = '', hostText = '', containerText = ''] = parts;
  else throw invalidArgument(`invalid port spec: ${spec}`);
  if (hostIp !== '' && !isIPv4(hostIp)) throw invalidArgument(`invalid IP address: ${hostIp}`);
  const container = parsePortRange(containerText, 'containerPort');
  const host = hostText === '' ? undefined : parsePortRange(hostText, 'hostPort');
  const count = container.end - container.start + 1;
  if (host !== undefined && host.end - host.start + 1 !== count && host.start !== host.end && count > 1) {
    throw invalidArgument(`invalid ranges specified for container and host Ports: ${containerText} and ${hostText}`);
  }
  const out: PortBindingSpec[] = [];
  for (let i = 0; i < count; i++) {
    let hostPorts: PortRange | undefined;
    if (host !== undefined) {
      if (count === 1) hostPorts = host;
      else {
        const p = host.start + i;
        hostPorts = { start: p, end: p };
      }
    }
    out.push({ proto, hostIp, hostPorts, containerPort: container.start + i });
  }
  return out;
}

/**
 * Docker's HostConfig.PortBindings (`{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}`),
 * already converted to camelCase by the API layer.
 */
export function fromPortBindings(
  bindings: Record<string, Array<{ hostIp?: string; hostPort?: string }> | null | undefined>,
): PortBindingSpec[] {
  const out: PortBindingSpec[] = [];
  for (const [key, list] of Object.entries(bindings)) {
    const [portText = '', protoText] = key.split('/');
    const proto = parseProto(protoText);
    const containerPort = parsePort(portText, 'containerPort');
    for (const b of list ?? [{}]) {
      const hostIp = b.hostIp ?? '';
      if (hostIp !== '' && hostIp !== '0.0.0.0' && !isIPv4(hostIp)) {
        if (hostIp.includes(':')) continue; // IPv6 bindings: berth has no IPv6 yet.
        throw invalidArgument(`invalid IP address: ${hostIp}`);
      }
      const hp = b.hostPort ?? '';
      out.push({
        proto,
        hostIp: hostIp === '0.0.0.0' ? '' : hostIp,
        hostPorts: hp === '' || hp === '0' ? undefined : parsePortRange(hp, 'hostPort'),
        containerPort,
      });
    }
  }
  return out;
}

/**
 * Host ports in use by berth, and the choice of new ones. `tryBind` must bind
 * the port for real (the userland proxy does): a port another program holds
 * is skipped; a requested single port that is busy is an error in Docker's
 * words.
 */
export class PortAllocator {
  private readonly used = new Set<string>();
  private readonly serial = new Serial();
  private last: number;

  constructor(private readonly ephemeral: PortRange = EPHEMERAL_PORTS) {
    this.last = ephemeral.start - 1;
  }

  private key(proto: Proto, hostIp: string, port: number): string {
    return `${proto}/${hostIp === '0.0.0.0' ? '' : hostIp}/${port}`;
  }

  /** True when berth already uses the port on that address or on every address. */
  inUse(proto: Proto, hostIp: string, port: number): boolean {
    if (this.used.has(this.key(proto, hostIp, port)) || this.used.has(this.key(proto, '', port))) return true;
    if (hostIp === '' || hostIp === '0.0.0.0') {
      const suffix = `/${port}`;
      return [...this.used].some((k) => k.startsWith(`${proto}/`) && k.endsWith(suffix));
    }
    return false;
  }

  allocate(
    proto: Proto,
    hostIp: string,
    requested: PortRange | undefined,
    tryBind: (port: number) => Promise<boolean>,
  ): Promise<number> {
    return this.serial.run(async () => {
      const range = requested ?? this.ephemeral;
      const size = range.end - range.start + 1;
      const from = requested === undefined ? this.last + 1 : range.start;
      for (let i = 0; i < size; i++) {
        const port = range.start + ((from - range.start + i) % size);
        if (this.inUse(proto, hostIp, port)) continue;
        if (!(await tryBind(port))) continue;
        this.used.add(this.key(proto, hostIp, port));
        if (requested === undefined) this.last = port;
        return port;
      }
      const where = `${hostIp === '' ? '0.0.0.0' : hostIp}:${range.start === range.end ? range.start : `${range.start}-${range.end}`}`;
      throw conflict(
        `driver failed programming external connectivity: Bind for ${where} failed: port is already allocated`,
      );
    });
  }

  /** Marks a port as used without binding (recovery). */
  reserve(proto: Proto, hostIp: string, port: number): void {
    this.used.add(this.key(proto, hostIp, port));
  }

  release(proto: Proto, hostIp: string, port: number): void {
    this.used.delete(this.key(proto, hostIp, port));
  }
}
