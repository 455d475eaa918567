/**
 * Docker's container shapes (PascalCase, wire) to and from the engine's
 * (camelCase). The create body is validated here, at the HTTP border: unknown
 * fields are ignored, fields berth does not support are refused with a 400
 * when they carry a non-default value, and moby's normalisations are applied
 * (missing HostConfig, NetworkMode default → bridge, PidsLimit <= 0, ...).
 */

import { invalidArgument } from '../../common/errors';
import { humanDuration } from '../../common/human-duration';
import { configFields } from '../../engine/containers/commit';
import type {
  Container,
  ContainerConfig,
  ContainerResources,
  ContainerState,
  ContainerSummary,
  CreateContainerOptions,
  HostConfig,
  RestartPolicy,
  WaitResult,
} from '../../engine/containers/types';
import type {
  ContainerConfig as ContainerConfigWire,
  ContainerCreateRequest,
  ContainerInspectWire,
  ContainerStateWire,
  ContainerSummaryWire,
  ContainerWaitResponse,
  EndpointSettingsWire,
  HostConfigWire,
  NetworkingConfigWire,
  NetworkSettingsWire,
  PortBindingWire,
} from '../../wire';
import {
  toEndpointsConfig,
  toMountPointsWire,
  toMountRequests,
  toMountsWire,
  toNetworksWire,
  toPortMapWire,
  toPortsSummary,
} from './container-network';
import { unixSeconds } from './image';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

// ------------------------------------------------------------------ create

/** moby's container name rule (daemon/names): at least two characters, an optional leading '/'. */
const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The `name` query parameter of a create: undefined when absent or empty; 400 when invalid. */
export function parseContainerName(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!VALID_NAME.test(raw)) {
    throw invalidArgument(`Invalid container name (${raw}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return raw.startsWith('/') ? raw.slice(1) : raw;
}

export interface CreateQuery {
  name: string | undefined;
  platform: string | undefined;
}

/** `POST /containers/create`: the request body (already parsed JSON) → the engine's options. */
export function toCreateOptions(raw: unknown, query: CreateQuery): CreateContainerOptions {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalidArgument('config cannot be empty in order to create a container');
  }
  const body = raw as ContainerCreateRequest;
  const image = str(body.Image, 'Image');
  if (image === '') throw invalidArgument('config cannot be empty in order to create a container: no image given');
  if (body.NetworkDisabled === true) {
    throw invalidArgument('NetworkDisabled is not supported by berth; use NetworkMode "none" (--network none)');
  }
  const workingDir = str(body.WorkingDir, 'WorkingDir');
  if (workingDir !== '' && !workingDir.startsWith('/')) {
    throw invalidArgument(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  }
  const config: ContainerConfig = {
    hostname: str(body.Hostname, 'Hostname'),
    domainname: str(body.Domainname, 'Domainname'),
    user: str(body.User, 'User'),
    attachStdin: bool(body.AttachStdin),
    attachStdout: bool(body.AttachStdout),
    attachStderr: bool(body.AttachStderr),
    tty: bool(body.Tty),
    openStdin: bool(body.OpenStdin),
    stdinOnce: bool(body.StdinOnce),
    env: strings(body.Env, 'Env'),
    cmd: command(body.Cmd, 'Cmd'),
    entrypoint: entrypoint(body.Entrypoint),
    image,
    workingDir,
    labels: stringMap(body.Labels, 'Labels'),
    stopSignal: optionalString(body.StopSignal),
    stopTimeout: typeof body.StopTimeout === 'number' ? body.StopTimeout : undefined,
    exposedPorts: Object.keys(objectOrEmpty(body.ExposedPorts, 'ExposedPorts')).map(normalizePortKey),
    volumes: Object.keys(objectOrEmpty(body.Volumes, 'Volumes')),
  };
  if (typeof body.ArgsEscaped === 'boolean') config.argsEscaped = body.ArgsEscaped;
  if (body.Healthcheck !== undefined && body.Healthcheck !== null) config.healthcheck = body.Healthcheck;
  if (Array.isArray(body.OnBuild)) config.onBuild = strings(body.OnBuild, 'OnBuild');

  const networking = normalizeNetworking(body.HostConfig?.NetworkMode, body.NetworkingConfig);
  const hostConfig = toHostConfig(body.HostConfig ?? {}, networking.mode);
  const options: CreateContainerOptions = { name: query.name, config, hostConfig };
  if (networking.config !== undefined) options.networkingConfig = networking.config;
  const endpoints = toEndpointsConfig(networking.config);
  if (endpoints !== undefined) options.endpointsConfig = endpoints;
  if (typeof body.MacAddress === 'string' && body.MacAddress !== '') options.macAddress = body.MacAddress;
  if (query.platform !== undefined && query.platform !== '') options.platform = query.platform;
  return options;
}

/**
 * moby's create-time network normalisation: '' and 'default' become the
 * daemon's default network ('bridge'), and an endpoint config keyed 'default'
 * moves to that name.
 */
export function normalizeNetworking(
  mode: unknown,
  networking: NetworkingConfigWire | null | undefined,
): { mode: string; config: NetworkingConfigWire | undefined } {
  let m = mode === undefined || mode === null ? '' : str(mode, 'HostConfig.NetworkMode');
  const endpoints = { ...(networking?.EndpointsConfig ?? {}) };
  if (m === '' || m === 'default') {
    m = 'bridge';
    if ('default' in endpoints) {
      endpoints.bridge = endpoints.default ?? null;
      delete endpoints.default;
    }
  }
  const config = networking === undefined || networking === null ? undefined : { EndpointsConfig: endpoints };
  return { mode: m, config };
}

function toHostConfig(h: HostConfigWire, networkMode: string): HostConfig {
  refuseUnsupported(h);
  const restartPolicy = toRestartPolicy(h.RestartPolicy);
  const autoRemove = bool(h.AutoRemove);
  if (autoRemove && restartPolicy.name !== 'no') {
    throw invalidArgument("can't create 'AutoRemove' container with restart policy");
  }
  const cgroupnsMode = str(h.CgroupnsMode, 'HostConfig.CgroupnsMode');
  if (!['', 'private', 'host'].includes(cgroupnsMode)) {
    throw invalidArgument(`invalid cgroup namespace mode: ${cgroupnsMode}`);
  }
  const oomScoreAdj = num(h.OomScoreAdj, 'HostConfig.OomScoreAdj');
  if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
    throw invalidArgument(`Invalid value ${oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  const shmSize = num(h.ShmSize, 'HostConfig.ShmSize');
  if (shmSize < 0) throw invalidArgument('SHM size can not be less than 0');
  const init = h.Init === undefined || h.Init === null ? undefined : bool(h.Init);
  const mounts = toMountRequests(h.Mounts);
  const volumesFrom = strings(h.VolumesFrom, 'HostConfig.VolumesFrom');
  return {
    ...(mounts === undefined ? {} : { mounts }),
    ...(volumesFrom.length === 0 ? {} : { volumesFrom }),
    networkMode,
    pidMode: str(h.PidMode, 'HostConfig.PidMode'),
    ipcMode: str(h.IpcMode, 'HostConfig.IpcMode'),
    utsMode: str(h.UTSMode, 'HostConfig.UTSMode'),
    cgroupnsMode,
    privileged: bool(h.Privileged),
    readonlyRootfs: bool(h.ReadonlyRootfs),
    capAdd: normalizeCapabilities(strings(h.CapAdd, 'HostConfig.CapAdd')),
    capDrop: normalizeCapabilities(strings(h.CapDrop, 'HostConfig.CapDrop')),
    securityOpt: strings(h.SecurityOpt, 'HostConfig.SecurityOpt'),
    tmpfs: stringMap(h.Tmpfs, 'HostConfig.Tmpfs'),
    binds: strings(h.Binds, 'HostConfig.Binds'),
    autoRemove,
    restartPolicy,
    logConfig: toLogConfig(h.LogConfig),
    extraHosts: strings(h.ExtraHosts, 'HostConfig.ExtraHosts'),
    dns: strings(h.Dns, 'HostConfig.Dns'),
    dnsSearch: strings(h.DnsSearch, 'HostConfig.DnsSearch'),
    dnsOptions: strings(h.DnsOptions, 'HostConfig.DnsOptions'),
    groupAdd: strings(h.GroupAdd, 'HostConfig.GroupAdd'),
    shmSize,
    oomScoreAdj,
    init,
    portBindings: toPortBindings(h.PortBindings),
    publishAllPorts: bool(h.PublishAllPorts),
    resources: toResources(h),
    consoleSize: toConsoleSize(h.ConsoleSize),
  };
}

/** Fields berth does not implement: refused when they carry anything but their default. */
function refuseUnsupported(h: HostConfigWire): void {
  const set = (v: unknown): boolean => {
    if (v === undefined || v === null || v === '' || v === 0 || v === false) return false;
    if (Array.isArray(v)) return v.length > 0;
    if (typeof v === 'object') return Object.keys(v).length > 0;
    return true;
  };
  const unsupported: Array<[string, unknown]> = [
    ['VolumeDriver', h.VolumeDriver],
    ['Links', h.Links],
    ['Annotations', h.Annotations],
    ['Cgroup', h.Cgroup],
    ['StorageOpt', h.StorageOpt],
    ['Sysctls', h.Sysctls],
    ['BlkioWeightDevice', h.BlkioWeightDevice],
    ['BlkioDeviceReadBps', h.BlkioDeviceReadBps],
    ['BlkioDeviceWriteBps', h.BlkioDeviceWriteBps],
    ['BlkioDeviceReadIOps', h.BlkioDeviceReadIOps],
    ['BlkioDeviceWriteIOps', h.BlkioDeviceWriteIOps],
    ['CpuRealtimePeriod', h.CpuRealtimePeriod],
    ['CpuRealtimeRuntime', h.CpuRealtimeRuntime],
    ['DeviceCgroupRules', h.DeviceCgroupRules],
    ['DeviceRequests', h.DeviceRequests],
    ['KernelMemory', h.KernelMemory],
    ['KernelMemoryTCP', h.KernelMemoryTCP],
    ['CpuCount', h.CpuCount],
    ['CpuPercent', h.CpuPercent],
    ['IOMaximumIOps', h.IOMaximumIOps],
    ['IOMaximumBandwidth', h.IOMaximumBandwidth],
    ['MaskedPaths', h.MaskedPaths],
    ['ReadonlyPaths', h.ReadonlyPaths],
  ];
  for (const [name, value] of unsupported) {
    if (set(value)) throw invalidArgument(`HostConfig.${name} is not supported by berth yet`);
  }
  const runtime = h.Runtime ?? '';
  if (!['', 'runc', 'berth'].includes(runtime)) throw invalidArgument(`unknown or invalid runtime name: ${runtime}`);
  const isolation = h.Isolation ?? '';
  if (isolation !== '' && isolation !== 'default') {
    throw invalidArgument(`Invalid isolation: "${isolation}" - linux only supports 'default'`);
  }
  const userns = h.UsernsMode ?? '';
  if (userns !== '' && userns !== 'host') throw invalidArgument(`UsernsMode "${userns}" is not supported by berth yet`);
}

function toRestartPolicy(p: HostConfigWire['RestartPolicy']): RestartPolicy {
  const name = p?.Name ?? '';
  const max = p?.MaximumRetryCount ?? 0;
  if (typeof max !== 'number' || !Number.isInteger(max)) {
    throw invalidArgument('invalid restart policy: MaximumRetryCount must be an integer');
  }
  if (max < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  switch (name) {
    case '':
    case 'no':
      if (max !== 0)
        throw invalidArgument("invalid restart policy: maximum retry count can only be used with 'on-failure'");
      return { name: 'no', maximumRetryCount: 0 };
    case 'always':
    case 'unless-stopped':
      if (max !== 0)
        throw invalidArgument("invalid restart policy: maximum retry count can only be used with 'on-failure'");
      return { name, maximumRetryCount: 0 };
    case 'on-failure':
      return { name, maximumRetryCount: max };
    default:
      throw invalidArgument(
        `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
  }
}

function toLogConfig(l: HostConfigWire['LogConfig']): HostConfig['logConfig'] {
  const type = l?.Type === undefined || l.Type === '' ? 'json-file' : str(l.Type, 'HostConfig.LogConfig.Type');
  if (type !== 'json-file' && type !== 'none') {
    throw invalidArgument(`failed to create logger: logger: no log driver named '${type}' is registered`);
  }
  return { type, config: stringMap(l?.Config, 'HostConfig.LogConfig.Config') };
}

function toPortBindings(p: HostConfigWire['PortBindings']): HostConfig['portBindings'] {
  const out: HostConfig['portBindings'] = {};
  for (const [key, list] of Object.entries(objectOrEmpty(p, 'HostConfig.PortBindings'))) {
    const bindings = (list ?? []) as PortBindingWire[];
    if (!Array.isArray(bindings)) throw invalidArgument(`invalid port binding for ${key}`);
    out[normalizePortKey(key)] = bindings.map((b) => ({
      hostIp: str(b?.HostIp, 'HostIp'),
      hostPort: str(b?.HostPort, 'HostPort'),
    }));
  }
  return out;
}

/** '80' → '80/tcp'; '53/UDP' → '53/udp'; refuses what is not a port (range). */
export function normalizePortKey(key: string): string {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/([a-zA-Z]+))?$/.exec(key);
  if (!m) throw invalidArgument(`invalid port specification: "${key}"`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw invalidArgument(`invalid proto: ${proto}`);
  return `${m[1]}${m[2] !== undefined ? `-${m[2]}` : ''}/${proto}`;
}

function toResources(h: HostConfigWire): ContainerResources {
  const memory = num(h.Memory, 'HostConfig.Memory');
  if (memory > 0 && memory < 6 * 1024 * 1024) throw invalidArgument('Minimum memory limit allowed is 6MB');
  const nanoCpus = num(h.NanoCpus, 'HostConfig.NanoCpus');
  const cpuPeriod = num(h.CpuPeriod, 'HostConfig.CpuPeriod');
  const cpuQuota = num(h.CpuQuota, 'HostConfig.CpuQuota');
  if (nanoCpus > 0 && cpuPeriod > 0) {
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (nanoCpus > 0 && cpuQuota > 0) {
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  }
  const swappiness = h.MemorySwappiness;
  const resources: ContainerResources = {
    memory,
    memorySwap: num(h.MemorySwap, 'HostConfig.MemorySwap'),
    memoryReservation: num(h.MemoryReservation, 'HostConfig.MemoryReservation'),
    nanoCpus,
    cpuShares: num(h.CpuShares, 'HostConfig.CpuShares'),
    cpuQuota,
    cpuPeriod,
    cpusetCpus: str(h.CpusetCpus, 'HostConfig.CpusetCpus'),
    cpusetMems: str(h.CpusetMems, 'HostConfig.CpusetMems'),
    // moby: PidsLimit <= 0 means unlimited.
    pidsLimit: Math.max(0, num(h.PidsLimit, 'HostConfig.PidsLimit')),
    blkioWeight: num(h.BlkioWeight, 'HostConfig.BlkioWeight'),
    devices: (h.Devices ?? []).map((d) => ({
      pathOnHost: str(d?.PathOnHost, 'Devices.PathOnHost'),
      pathInContainer: str(d?.PathInContainer, 'Devices.PathInContainer') || str(d?.PathOnHost, 'PathOnHost'),
      cgroupPermissions: str(d?.CgroupPermissions, 'Devices.CgroupPermissions') || 'rwm',
    })),
    ulimits: (h.Ulimits ?? []).map((u) => ({
      name: str(u?.Name, 'Ulimits.Name'),
      soft: num(u?.Soft, 'Ulimits.Soft'),
      hard: num(u?.Hard, 'Ulimits.Hard'),
    })),
    oomKillDisable: h.OomKillDisable === true,
    cgroupParent: str(h.CgroupParent, 'HostConfig.CgroupParent'),
  };
  if (typeof swappiness === 'number' && swappiness !== -1) {
    if (swappiness < 0 || swappiness > 100) {
      throw invalidArgument(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
    }
    resources.memorySwappiness = swappiness;
  }
  return resources;
}

function toConsoleSize(c: HostConfigWire['ConsoleSize']): [number, number] | undefined {
  if (c === undefined || c === null) return undefined;
  if (!Array.isArray(c) || c.length !== 2 || !c.every((n) => typeof n === 'number' && n >= 0)) {
    throw invalidArgument('invalid ConsoleSize: want [height, width]');
  }
  const [h, w] = c as [number, number];
  return h === 0 && w === 0 ? undefined : [h, w];
}

/** 'net_admin' → 'CAP_NET_ADMIN'; 'ALL' stays; de-duplicated, order kept (the Go client sorts already). */
export function normalizeCapabilities(caps: string[]): string[] {
  const out: string[] = [];
  for (const raw of caps) {
    const c = raw.trim().toUpperCase();
    if (c === '') continue;
    const name = c === 'ALL' || c.startsWith('CAP_') ? c : `CAP_${c}`;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

function command(v: unknown, field: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return [v];
  const list = strings(v, field);
  return list.length === 0 ? null : list;
}

/** null = the image's; [""] = reset (→ []); a string is one element. */
function entrypoint(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v === '' ? [] : [v];
  const list = strings(v, 'Entrypoint');
  if (list.length === 0) return null;
  if (list.length === 1 && list[0] === '') return [];
  return list;
}

function str(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalidArgument(`invalid ${field}: want a string`);
  return v;
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function bool(v: unknown): boolean {
  return v === true;
}

function num(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`invalid ${field}: want a number`);
  return v;
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw invalidArgument(`invalid ${field}: want a list of strings`);
  }
  return [...(v as string[])];
}

function objectOrEmpty(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid ${field}: want an object`);
  return v as Record<string, unknown>;
}

function stringMap(v: unknown, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(objectOrEmpty(v, field))) {
    if (typeof x !== 'string') throw invalidArgument(`invalid ${field}: values must be strings`);
    out[k] = x;
  }
  return out;
}

// ------------------------------------------------------------------ status text

function isZeroTime(t: string): boolean {
  if (t === '' || t === ZERO_TIME) return true;
  const ms = Date.parse(t);
  return Number.isNaN(ms) || new Date(ms).getUTCFullYear() <= 1;
}

function since(t: string, now: number): string {
  const ms = Date.parse(t);
  return humanDuration(Number.isNaN(ms) ? 0 : Math.max(0, now - ms));
}

/** The `Status` column of `docker ps` (moby's State.String()). */
export function statusText(state: ContainerState, now: number = Date.now()): string {
  switch (state.status) {
    case 'paused':
      return `Up ${since(state.startedAt, now)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${since(state.finishedAt, now)} ago`;
    case 'running':
      if (state.health !== undefined) {
        const h = state.health.status === 'starting' ? 'health: starting' : state.health.status;
        return `Up ${since(state.startedAt, now)} (${h})`;
      }
      return `Up ${since(state.startedAt, now)}`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      if (isZeroTime(state.startedAt)) return 'Created';
      if (isZeroTime(state.finishedAt)) return '';
      return `Exited (${state.exitCode}) ${since(state.finishedAt, now)} ago`;
  }
}

/** The `Command` of a list item: the path and the arguments, those with spaces in single quotes. */
export function commandString(path: string, args: string[]): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

// ------------------------------------------------------------------ list and inspect

function emptyEndpoint(): EndpointSettingsWire {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** The networks a container is on, by its network mode (no addresses until networking lands). */
export function networksFor(networkMode: string): Record<string, EndpointSettingsWire> {
  if (networkMode.startsWith('container:')) return {};
  const name = networkMode === '' || networkMode === 'default' ? 'bridge' : networkMode;
  return { [name]: emptyEndpoint() };
}

export interface ListItemOptions {
  now?: number;
}

export function toContainerSummary(item: ContainerSummary, options: ListItemOptions = {}): ContainerSummaryWire {
  const c = item.container;
  const out: ContainerSummaryWire = {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.config.image,
    ImageID: c.imageId,
    Command: commandString(c.path, c.args),
    Created: unixSeconds(c.created),
    Ports: toPortsSummary(c),
    Labels: { ...c.config.labels },
    State: c.state.status,
    Status: statusText(c.state, options.now),
    HostConfig: { NetworkMode: c.hostConfig.networkMode },
    NetworkSettings: { Networks: toNetworksWire(c) ?? networksFor(c.hostConfig.networkMode) },
    Mounts: toMountPointsWire(c),
  };
  if (item.sizeRw !== undefined) out.SizeRw = item.sizeRw;
  if (item.sizeRootFs !== undefined) out.SizeRootFs = item.sizeRootFs;
  return out;
}

export function toStateWire(s: ContainerState): ContainerStateWire {
  return {
    Status: s.status,
    Running: s.running,
    Paused: s.paused,
    Restarting: s.restarting,
    OOMKilled: s.oomKilled,
    Dead: s.dead,
    Pid: s.pid,
    ExitCode: s.exitCode,
    Error: s.error,
    StartedAt: s.startedAt || ZERO_TIME,
    FinishedAt: s.finishedAt || ZERO_TIME,
    ...(s.health === undefined
      ? {}
      : {
          Health: {
            Status: s.health.status,
            FailingStreak: s.health.failingStreak,
            Log: s.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
          },
        }),
  };
}

/** `Config` of container inspect, every classic field present. */
export function toConfigWire(c: ContainerConfig): ContainerConfigWire {
  // The engine renders the image-config form (also used by commit); inspect adds StopTimeout.
  const out = configFields(c) as ContainerConfigWire;
  if (c.stopTimeout !== undefined) out.StopTimeout = c.stopTimeout;
  return out;
}

/** `HostConfig` of container inspect, in moby's field set. */
export function toHostConfigWire(h: HostConfig): HostConfigWire {
  const r = h.resources;
  const portBindings: Record<string, PortBindingWire[]> = {};
  for (const [k, list] of Object.entries(h.portBindings)) {
    portBindings[k] = list.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }));
  }
  const out: HostConfigWire = {
    Binds: h.binds.length > 0 ? [...h.binds] : null,
    ContainerIDFile: '',
    LogConfig: { Type: h.logConfig.type, Config: { ...h.logConfig.config } },
    NetworkMode: h.networkMode,
    PortBindings: portBindings,
    RestartPolicy: { Name: h.restartPolicy.name, MaximumRetryCount: h.restartPolicy.maximumRetryCount },
    AutoRemove: h.autoRemove,
    VolumeDriver: '',
    VolumesFrom: h.volumesFrom !== undefined && h.volumesFrom.length > 0 ? [...h.volumesFrom] : null,
    ConsoleSize: h.consoleSize ? [...h.consoleSize] : [0, 0],
    CapAdd: h.capAdd.length > 0 ? [...h.capAdd] : null,
    CapDrop: h.capDrop.length > 0 ? [...h.capDrop] : null,
    CgroupnsMode: h.cgroupnsMode,
    Dns: [...h.dns],
    DnsOptions: [...h.dnsOptions],
    DnsSearch: [...h.dnsSearch],
    ExtraHosts: h.extraHosts.length > 0 ? [...h.extraHosts] : null,
    GroupAdd: h.groupAdd.length > 0 ? [...h.groupAdd] : null,
    IpcMode: h.ipcMode,
    Cgroup: '',
    Links: null,
    OomScoreAdj: h.oomScoreAdj,
    PidMode: h.pidMode,
    Privileged: h.privileged,
    PublishAllPorts: h.publishAllPorts,
    ReadonlyRootfs: h.readonlyRootfs,
    SecurityOpt: h.securityOpt.length > 0 ? [...h.securityOpt] : null,
    UTSMode: h.utsMode,
    UsernsMode: '',
    ShmSize: h.shmSize,
    Runtime: 'runc',
    Isolation: '',
    CpuShares: r.cpuShares,
    Memory: r.memory,
    NanoCpus: r.nanoCpus,
    CgroupParent: r.cgroupParent,
    BlkioWeight: r.blkioWeight,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: r.cpuPeriod,
    CpuQuota: r.cpuQuota,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: r.cpusetCpus,
    CpusetMems: r.cpusetMems,
    Devices: r.devices.map((d) => ({
      PathOnHost: d.pathOnHost,
      PathInContainer: d.pathInContainer,
      CgroupPermissions: d.cgroupPermissions,
    })),
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: r.memoryReservation,
    MemorySwap: r.memorySwap,
    MemorySwappiness: r.memorySwappiness ?? null,
    OomKillDisable: r.oomKillDisable,
    PidsLimit: r.pidsLimit > 0 ? r.pidsLimit : null,
    Ulimits: r.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  };
  if (Object.keys(h.tmpfs).length > 0) out.Tmpfs = { ...h.tmpfs };
  const mountsWire = toMountsWire(h.mounts);
  if (mountsWire !== undefined) out.Mounts = mountsWire;
  if (h.init !== undefined) out.Init = h.init;
  return out;
}

export function toNetworkSettingsWire(c: Container, apiVersion?: string): NetworkSettingsWire {
  const ports = toPortMapWire(c);
  const bridge = c.networks?.bridge;
  const sandboxKey = c.sandboxKey ?? '';
  return {
    Bridge: '',
    SandboxID: sandboxKey === '' ? '' : c.id,
    SandboxKey: sandboxKey,
    Ports: ports,
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.endpointId ?? '',
    Gateway: bridge?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.ipAddress ?? '',
    IPPrefixLen: bridge?.ipPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: bridge?.macAddress ?? '',
    Networks: toNetworksWire(c, apiVersion) ?? networksFor(c.hostConfig.networkMode),
  };
}

export interface InspectOptions {
  /** Storage driver name ('overlay2'). */
  driver: string;
  /** The request's API version (Aliases differ below 1.45). */
  apiVersion?: string;
  /** With `size=1`. */
  sizeRw?: number;
  sizeRootFs?: number;
}

/** `GET /containers/{id}/json`. */
export function toContainerInspect(c: Container, options: InspectOptions): ContainerInspectWire {
  const out: ContainerInspectWire = {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: [...c.args],
    State: toStateWire(c.state),
    Image: c.imageId,
    ResolvConfPath: c.resolvConfPath,
    HostnamePath: c.hostnamePath,
    HostsPath: c.hostsPath,
    LogPath: c.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: options.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: toHostConfigWire(c.hostConfig),
    GraphDriver: { Name: c.graphDriver.name || options.driver, Data: { ...c.graphDriver.data } },
    Mounts: toMountPointsWire(c),
    Config: toConfigWire(c.config),
    NetworkSettings: toNetworkSettingsWire(c, options.apiVersion),
  };
  if (options.sizeRw !== undefined) out.SizeRw = options.sizeRw;
  if (options.sizeRootFs !== undefined) out.SizeRootFs = options.sizeRootFs;
  return out;
}

export function toWaitResponse(result: WaitResult): ContainerWaitResponse {
  const out: ContainerWaitResponse = { StatusCode: result.statusCode };
  if (result.error !== undefined && result.error !== '') out.Error = { Message: result.error };
  return out;
}

// ------------------------------------------------------------------ logs parameters

/**
 * A `since`/`until` value as Unix seconds: `<sec>[.<nanosec>]` (what the Go
 * client and docker-py send) or an RFC 3339 time. '' and '0' mean unset (0).
 */
export function parseLogTime(value: string | undefined, param: string): number {
  if (value === undefined || value === '') return 0;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (m) {
    const sec = Number(m[1]);
    const frac = m[2] === undefined ? 0 : Number(`0.${m[2]}`);
    return sec < 0 ? sec - frac : sec + frac;
  }
  const ms = Date.parse(value);
  if (!Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}/.test(value)) return ms / 1000;
  throw invalidArgument(`invalid value for ${param}: ${value}: want seconds since the epoch or an RFC 3339 time`);
}

/** `tail`: 'all' (or anything that is not a non-negative integer) → -1, else N. */
export function parseTail(value: string | undefined): number {
  if (value === undefined) return -1;
  const v = value.trim();
  if (!/^\d+$/.test(v)) return -1;
  return Number(v);
}
