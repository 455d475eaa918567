/**
 * The network and mount parts of Docker's container shapes: the create
 * body's NetworkingConfig and HostConfig.Mounts in, and inspect's
 * NetworkSettings and Mounts[], ps's Ports, Networks and Mounts out.
 */
import { invalidArgument } from '../../common/errors';
import type { Container, ContainerEndpoint, ContainerMount, EndpointConfig } from '../../engine/containers/types';
import type { MountRequest } from '../../engine/volumes';
import type { EndpointSettingsWire, MountPointWire, NetworkingConfigWire, PortBindingWire, PortWire } from '../../wire';
import { versionLessThan } from '../../wire';

/** `NetworkingConfig.EndpointsConfig` → the engine's endpoint configs by network key. */
export function toEndpointsConfig(
  config: NetworkingConfigWire | undefined,
): Record<string, EndpointConfig> | undefined {
  const entries = Object.entries(config?.EndpointsConfig ?? {});
  if (entries.length === 0) return undefined;
  const out: Record<string, EndpointConfig> = {};
  for (const [key, ep] of entries) {
    const aliases = ep?.Aliases ?? [];
    if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== 'string')) {
      throw invalidArgument(`invalid Aliases for network ${key}`);
    }
    const ip = ep?.IPAMConfig?.IPv4Address ?? '';
    const mac = ep?.MacAddress ?? '';
    if (typeof ip !== 'string' || typeof mac !== 'string') throw invalidArgument(`invalid endpoint config for ${key}`);
    out[key] = { aliases: [...aliases], ipv4Address: ip, macAddress: mac };
  }
  return out;
}

interface MountWire {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
  } | null;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string> | null;
    Subpath?: string;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/** `HostConfig.Mounts` → the volumes module's requests (validated there). */
export function toMountRequests(raw: unknown): MountRequest[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw invalidArgument('HostConfig.Mounts must be an array');
  return raw.map((item): MountRequest => {
    const m = (item ?? {}) as MountWire;
    const out: MountRequest = { type: m.Type ?? '' };
    if (m.Source !== undefined) out.source = m.Source;
    if (m.Target !== undefined) out.target = m.Target;
    if (m.ReadOnly !== undefined) out.readOnly = m.ReadOnly;
    if (m.Consistency !== undefined) out.consistency = m.Consistency;
    if (m.BindOptions) {
      out.bindOptions = {};
      if (m.BindOptions.Propagation !== undefined) out.bindOptions.propagation = m.BindOptions.Propagation;
      if (m.BindOptions.NonRecursive !== undefined) out.bindOptions.nonRecursive = m.BindOptions.NonRecursive;
      if (m.BindOptions.CreateMountpoint !== undefined)
        out.bindOptions.createMountpoint = m.BindOptions.CreateMountpoint;
    }
    if (m.VolumeOptions) {
      const v = m.VolumeOptions;
      out.volumeOptions = {};
      if (v.NoCopy !== undefined) out.volumeOptions.noCopy = v.NoCopy;
      if (v.Labels) out.volumeOptions.labels = { ...v.Labels };
      if (v.Subpath !== undefined) out.volumeOptions.subpath = v.Subpath;
      if (v.DriverConfig) {
        out.volumeOptions.driverConfig = {};
        if (v.DriverConfig.Name !== undefined) out.volumeOptions.driverConfig.name = v.DriverConfig.Name;
        if (v.DriverConfig.Options) out.volumeOptions.driverConfig.options = { ...v.DriverConfig.Options };
      }
    }
    if (m.TmpfsOptions) {
      out.tmpfsOptions = {};
      if (m.TmpfsOptions.SizeBytes !== undefined) out.tmpfsOptions.sizeBytes = m.TmpfsOptions.SizeBytes;
      if (m.TmpfsOptions.Mode !== undefined) out.tmpfsOptions.mode = m.TmpfsOptions.Mode;
    }
    return out;
  });
}

/** `HostConfig.Mounts` as inspect shows it back. */
export function toMountsWire(mounts: MountRequest[] | undefined): unknown[] | undefined {
  if (mounts === undefined || mounts.length === 0) return undefined;
  return mounts.map((m) => {
    const out: Record<string, unknown> = { Type: m.type, Source: m.source ?? '', Target: m.target ?? '' };
    if (m.readOnly) out.ReadOnly = true;
    if (m.bindOptions?.propagation) out.BindOptions = { Propagation: m.bindOptions.propagation };
    if (m.volumeOptions !== undefined) {
      const v: Record<string, unknown> = {};
      if (m.volumeOptions.noCopy) v.NoCopy = true;
      if (m.volumeOptions.labels) v.Labels = m.volumeOptions.labels;
      if (m.volumeOptions.subpath) v.Subpath = m.volumeOptions.subpath;
      if (m.volumeOptions.driverConfig) v.DriverConfig = m.volumeOptions.driverConfig;
      out.VolumeOptions = v;
    }
    if (m.tmpfsOptions !== undefined) {
      out.TmpfsOptions = {
        ...(m.tmpfsOptions.sizeBytes ? { SizeBytes: m.tmpfsOptions.sizeBytes } : {}),
        ...(m.tmpfsOptions.mode ? { Mode: m.tmpfsOptions.mode } : {}),
      };
    }
    return out;
  });
}

function isUserNetwork(name: string): boolean {
  return name !== 'bridge' && name !== 'host' && name !== 'none';
}

/** One network of inspect's `NetworkSettings.Networks`. For API < 1.45 the short id joins Aliases on user networks. */
export function toEndpointWire(
  c: Container,
  name: string,
  ep: ContainerEndpoint,
  apiVersion?: string,
): EndpointSettingsWire {
  const running = ep.endpointId !== '';
  let aliases: string[] | null = ep.config.aliases.length > 0 ? [...ep.config.aliases] : null;
  if (running && isUserNetwork(name) && apiVersion !== undefined && versionLessThan(apiVersion, '1.45')) {
    aliases = [...(aliases ?? []), c.id.slice(0, 12)];
  }
  const ipam = ep.config.ipv4Address !== '' ? { IPv4Address: ep.config.ipv4Address } : null;
  return {
    IPAMConfig: ipam,
    Links: null,
    Aliases: aliases,
    MacAddress: ep.macAddress || ep.config.macAddress,
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: ep.networkId,
    EndpointID: ep.endpointId,
    Gateway: ep.gateway,
    IPAddress: ep.ipAddress,
    IPPrefixLen: ep.ipPrefixLen,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: running && isUserNetwork(name) ? [...ep.dnsNames] : null,
  };
}

export function toNetworksWire(c: Container, apiVersion?: string): Record<string, EndpointSettingsWire> | undefined {
  if (c.networks === undefined) return undefined;
  const out: Record<string, EndpointSettingsWire> = {};
  for (const [name, ep] of Object.entries(c.networks)) out[name] = toEndpointWire(c, name, ep, apiVersion);
  return out;
}

function hostIpText(ip: string): string {
  return ip === '' ? '0.0.0.0' : ip;
}

/** Inspect's `NetworkSettings.Ports`: `{}` when not running; exposed ports without a binding are null. */
export function toPortMapWire(c: Container): Record<string, PortBindingWire[] | null> {
  const running = c.state.status === 'running' || c.state.status === 'paused' || c.state.status === 'restarting';
  const out: Record<string, PortBindingWire[] | null> = {};
  if (!running || c.networks === undefined) {
    if (c.networks === undefined) for (const p of c.config.exposedPorts) out[p] = null;
    return out;
  }
  for (const p of c.config.exposedPorts) out[p] = null;
  for (const p of c.ports ?? []) {
    const key = `${p.containerPort}/${p.proto}`;
    out[key] = [...(out[key] ?? []), { HostIp: hostIpText(p.hostIp), HostPort: String(p.hostPort) }];
  }
  return out;
}

/** `docker ps`'s Ports: published ports, then exposed ports without a binding. */
export function toPortsSummary(c: Container): PortWire[] {
  const running = c.state.status === 'running' || c.state.status === 'paused' || c.state.status === 'restarting';
  if (!running) return [];
  const out: PortWire[] = [];
  const published = new Set<string>();
  for (const p of c.ports ?? []) {
    published.add(`${p.containerPort}/${p.proto}`);
    out.push({ IP: hostIpText(p.hostIp), PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  }
  for (const key of c.config.exposedPorts) {
    if (published.has(key)) continue;
    const [port = '', proto = 'tcp'] = key.split('/');
    if (/^\d+$/.test(port)) out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}

export function toMountPointWire(m: ContainerMount): MountPointWire {
  const out: MountPointWire = {
    Type: m.type,
    Source: m.source,
    Destination: m.destination,
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.propagation,
  };
  if (m.type === 'volume') {
    return {
      Type: m.type,
      Name: m.name ?? '',
      Source: m.source,
      Destination: m.destination,
      Driver: m.driver ?? 'local',
      Mode: m.mode,
      RW: m.rw,
      Propagation: m.propagation,
    };
  }
  return out;
}

export function toMountPointsWire(c: Container): MountPointWire[] {
  return (c.mounts ?? []).map(toMountPointWire);
}
