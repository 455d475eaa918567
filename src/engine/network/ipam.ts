/**
 * Address management, Docker's "default" IPAM driver: subnets come from the
 * local address pools (skipping prefixes the host already routes, so berth
 * and dockerd can coexist), the gateway is the first host address, container
 * addresses are the first free ones. State is one JSON file under `root`,
 * replaced atomically after every change; all changes are serialized.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../../common/atomic';
import { conflict, forbidden, invalidArgument, notFound } from '../../common/errors';
import {
  formatIPv4,
  formatPrefix,
  lastAddress,
  type Prefix,
  parseIPv4,
  parsePrefix,
  prefixContains,
  prefixOverlaps,
  prefixSize,
  prefixWithin,
} from './ipv4';
import { Serial } from './serial';

/** A base prefix cut into subnets of `size` bits (`--default-address-pool base=...,size=N`). */
export interface AddressPool {
  base: string;
  size: number;
}

/** moby ipamutils: 172.17-19/16, 172.20/14, 172.24/14, 172.28/14 in /16s, then 192.168/16 in /20s. */
export const DEFAULT_ADDRESS_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/** Parses a daemon `--default-address-pool` value: `base=10.10.0.0/16,size=24`. */
export function parseDefaultAddressPool(text: string): AddressPool {
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const [k, v, ...rest] = part.split('=');
    if (k === undefined || v === undefined || rest.length > 0) throw invalidArgument(`invalid address pool: ${text}`);
    fields.set(k.trim().toLowerCase(), v.trim());
  }
  const base = fields.get('base');
  const size = fields.get('size');
  if (base === undefined || size === undefined || !/^\d+$/.test(size)) {
    throw invalidArgument(`invalid address pool: ${text} (want base=<cidr>,size=<bits>)`);
  }
  const prefix = parsePrefix(base);
  const bits = Number(size);
  if (bits < prefix.bits || bits > 30) {
    throw invalidArgument(`invalid address pool: ${text}: size ${bits} must be between ${prefix.bits} and 30`);
  }
  return { base: formatPrefix(prefix), size: bits };
}

/** Parses the daemon's `--bip` (the default bridge's gateway address with its prefix, e.g. 172.17.0.1/16). */
export function parseBip(text: string): { subnet: string; gateway: string } {
  const [addr = ''] = text.split('/');
  const prefix = parsePrefix(text);
  const gw = parseIPv4(addr);
  if (gw === prefix.base || gw === lastAddress(prefix)) {
    throw invalidArgument(`invalid --bip ${text}: the gateway must be a host address`);
  }
  return { subnet: formatPrefix(prefix), gateway: formatIPv4(gw) };
}

export interface PoolRequest {
  /** Explicit subnet; otherwise the next free subnet of the address pools. */
  subnet?: string;
  /** Container addresses come from this sub-range of the subnet (`--ip-range`). */
  ipRange?: string;
  gateway?: string;
}

export interface PoolAllocation {
  subnet: string;
  gateway: string;
  ipRange?: string;
}

interface PoolState extends PoolAllocation {
  /** Allocated container addresses → owner (an endpoint id). */
  addresses: Record<string, string>;
}

interface IpamFile {
  version: 1;
  pools: Record<string, PoolState>;
}

export interface IpamOptions {
  /** Directory holding the state file (e.g. <data-root>/network/ipam). */
  root: string;
  /** Address pools for automatic subnets (default DEFAULT_ADDRESS_POOLS). */
  pools?: readonly AddressPool[];
  /** Prefixes already in use on the host (routes, addresses, resolvers); automatic subnets avoid them. */
  reserved?: () => Promise<string[]>;
}

export class Ipam {
  private readonly serial = new Serial();

  private constructor(
    private readonly file: string,
    private state: IpamFile,
    private readonly pools: readonly AddressPool[],
    private readonly reserved: () => Promise<string[]>,
  ) {}

  static async open(options: IpamOptions): Promise<Ipam> {
    await fs.mkdir(options.root, { recursive: true });
    const file = path.join(options.root, 'ipam.json');
    let state: IpamFile = { version: 1, pools: {} };
    try {
      const loaded = await readJsonIfExists<IpamFile>(file);
      if (loaded !== undefined) {
        if (loaded.version !== 1 || typeof loaded.pools !== 'object' || loaded.pools === null) {
          throw new Error('unknown format');
        }
        state = loaded;
      }
    } catch {
      // Quarantine a corrupt file; the network service re-registers what its records own.
      await fs.rename(file, `${file}.corrupt-${Date.now()}`).catch(() => undefined);
    }
    return new Ipam(file, state, options.pools ?? DEFAULT_ADDRESS_POOLS, options.reserved ?? (async () => []));
  }

  pool(poolId: string): PoolAllocation | undefined {
    const p = this.state.pools[poolId];
    return p === undefined ? undefined : toAllocation(p);
  }

  poolIds(): string[] {
    return Object.keys(this.state.pools);
  }

  /** Allocated addresses of a pool → owner. */
  addresses(poolId: string): Record<string, string> {
    return { ...(this.state.pools[poolId]?.addresses ?? {}) };
  }

  requestPool(poolId: string, request: PoolRequest = {}): Promise<PoolAllocation> {
    return this.serial.run(async () => {
      const existing = this.state.pools[poolId];
      if (existing !== undefined) return toAllocation(existing);
      const taken = Object.values(this.state.pools).map((p) => parsePrefix(p.subnet));
      let subnet: Prefix;
      if (request.subnet !== undefined) {
        subnet = parsePrefix(request.subnet);
        if (subnet.bits > 30) throw invalidArgument(`invalid subnet ${request.subnet}: too small`);
        if (taken.some((t) => prefixOverlaps(t, subnet))) {
          throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
        }
      } else {
        const reserved = (await this.reserved()).flatMap((r) => {
          try {
            return [parsePrefix(r)];
          } catch {
            return [];
          }
        });
        const found = this.nextFreeSubnet([...taken, ...reserved]);
        if (found === undefined) {
          throw forbidden(
            'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
          );
        }
        subnet = found;
      }
      let ipRange: string | undefined;
      if (request.ipRange !== undefined) {
        const range = parsePrefix(request.ipRange);
        if (!prefixWithin(range, subnet)) {
          throw invalidArgument(`invalid ip-range ${request.ipRange}: not within subnet ${formatPrefix(subnet)}`);
        }
        ipRange = formatPrefix(range);
      }
      let gateway = subnet.base + 1;
      if (request.gateway !== undefined) {
        gateway = parseIPv4(request.gateway);
        if (!prefixContains(subnet, gateway) || gateway === subnet.base || gateway === lastAddress(subnet)) {
          throw invalidArgument(`invalid gateway ${request.gateway}: not a host address of ${formatPrefix(subnet)}`);
        }
      }
      const state: PoolState = { subnet: formatPrefix(subnet), gateway: formatIPv4(gateway), addresses: {} };
      if (ipRange !== undefined) state.ipRange = ipRange;
      this.state.pools[poolId] = state;
      await this.save();
      return toAllocation(state);
    });
  }

  releasePool(poolId: string): Promise<void> {
    return this.serial.run(async () => {
      if (this.state.pools[poolId] === undefined) return;
      delete this.state.pools[poolId];
      await this.save();
    });
  }

  /**
   * Allocates a container address: `address` when given (it must lie in the
   * subnet and be free), else the first free one of the ip-range or subnet.
   */
  requestAddress(poolId: string, request: { owner: string; address?: string }): Promise<string> {
    return this.serial.run(async () => {
      const pool = this.state.pools[poolId];
      if (pool === undefined) throw notFound(`address pool ${poolId} not found`);
      const subnet = parsePrefix(pool.subnet);
      const gateway = parseIPv4(pool.gateway);
      const usable = (ip: number): boolean =>
        ip !== subnet.base &&
        ip !== lastAddress(subnet) &&
        ip !== gateway &&
        pool.addresses[formatIPv4(ip)] === undefined;
      let chosen: number | undefined;
      if (request.address !== undefined) {
        const ip = parseIPv4(request.address);
        if (!prefixContains(subnet, ip)) {
          throw invalidArgument(`no configured subnet contains IP address ${request.address}`);
        }
        if (!usable(ip)) throw conflict(`Address already in use: ${request.address}`);
        chosen = ip;
      } else {
        const range = pool.ipRange === undefined ? subnet : parsePrefix(pool.ipRange);
        const end = range.base + prefixSize(range);
        for (let ip = range.base; ip < end; ip++) {
          if (usable(ip)) {
            chosen = ip;
            break;
          }
        }
        if (chosen === undefined)
          throw forbidden(`no available IPv4 addresses on this network's address pools: ${pool.subnet}`);
      }
      const text = formatIPv4(chosen);
      pool.addresses[text] = request.owner;
      await this.save();
      return text;
    });
  }

  releaseAddress(poolId: string, address: string): Promise<void> {
    return this.serial.run(async () => {
      const pool = this.state.pools[poolId];
      if (pool?.addresses[address] === undefined) return;
      delete pool.addresses[address];
      await this.save();
    });
  }

  private nextFreeSubnet(avoid: Prefix[]): Prefix | undefined {
    for (const pool of this.pools) {
      const base = parsePrefix(pool.base);
      const step = 2 ** (32 - pool.size);
      for (let at = base.base; at <= lastAddress(base); at += step) {
        const candidate: Prefix = { base: at, bits: pool.size };
        if (!avoid.some((a) => prefixOverlaps(a, candidate))) return candidate;
      }
    }
    return undefined;
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.file, this.state);
  }
}

function toAllocation(p: PoolState): PoolAllocation {
  const out: PoolAllocation = { subnet: p.subnet, gateway: p.gateway };
  if (p.ipRange !== undefined) out.ipRange = p.ipRange;
  return out;
}
