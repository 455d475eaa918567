/**
 * The flags `run` and `create` share, and their translation into Docker's
 * create request, as the docker CLI does it (cli/command/container/opts.go):
 * sizes through RAMInBytes, --cpus into NanoCpus, -p into ExposedPorts and
 * PortBindings, -v into Binds or Volumes, env files read client-side.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerCreateRequest, HostConfigWire } from '../../wire';
import { CliExit } from '../command';
import type { FlagSpec } from '../flags';
import { parseBytes } from '../render/units';
import { HEALTH_FLAGS, healthcheckFromFlags } from './health-opts';
import { endpointsConfig, mountFlag } from './mount-opts';

export const CONTAINER_FLAGS = [
  { name: 'add-host', kind: 'list', help: 'Add a custom host-to-IP mapping (host:ip)' },
  { name: 'attach', short: 'a', kind: 'list', help: 'Attach to STDIN, STDOUT or STDERR' },
  {
    name: 'blkio-weight',
    kind: 'int',
    help: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)',
  },
  { name: 'cap-add', kind: 'list', help: 'Add Linux capabilities' },
  { name: 'cap-drop', kind: 'list', help: 'Drop Linux capabilities' },
  { name: 'cgroup-parent', kind: 'string', help: 'Optional parent cgroup for the container' },
  { name: 'cgroupns', kind: 'string', help: 'Cgroup namespace to use (host|private)' },
  { name: 'cpu-period', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-shares', short: 'c', kind: 'int', help: 'CPU shares (relative weight)' },
  { name: 'cpus', kind: 'string', valueName: 'decimal', help: 'Number of CPUs' },
  { name: 'cpuset-cpus', kind: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', kind: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'device', kind: 'list', help: 'Add a host device to the container' },
  { name: 'dns', kind: 'list', help: 'Set custom DNS servers' },
  { name: 'dns-option', kind: 'list', help: 'Set DNS options' },
  { name: 'dns-search', kind: 'list', help: 'Set custom DNS search domains' },
  { name: 'domainname', kind: 'string', help: 'Container NIS domain name' },
  { name: 'entrypoint', kind: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'env', short: 'e', kind: 'list', help: 'Set environment variables' },
  { name: 'env-file', kind: 'list', help: 'Read in a file of environment variables' },
  { name: 'expose', kind: 'list', help: 'Expose a port or a range of ports' },
  { name: 'group-add', kind: 'list', help: 'Add additional groups to join' },
  ...HEALTH_FLAGS,
  { name: 'hostname', short: 'h', kind: 'string', help: 'Container host name' },
  { name: 'init', kind: 'bool', help: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
  { name: 'ip', kind: 'string', help: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'ipc', kind: 'string', help: 'IPC mode to use' },
  { name: 'label', short: 'l', kind: 'list', help: 'Set meta data on a container' },
  { name: 'label-file', kind: 'list', help: 'Read in a line delimited file of labels' },
  { name: 'log-driver', kind: 'string', help: 'Logging driver for the container' },
  { name: 'log-opt', kind: 'list', help: 'Log driver options' },
  { name: 'mac-address', kind: 'string', help: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', help: 'Memory limit' },
  { name: 'memory-reservation', kind: 'string', valueName: 'bytes', help: 'Memory soft limit' },
  {
    name: 'memory-swap',
    kind: 'string',
    valueName: 'bytes',
    help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
  },
  { name: 'memory-swappiness', kind: 'int', default: -1, help: 'Tune container memory swappiness (0 to 100)' },
  { name: 'mount', kind: 'list', help: 'Attach a filesystem mount to the container' },
  { name: 'name', kind: 'string', help: 'Assign a name to the container' },
  { name: 'network', kind: 'string', valueName: 'network', help: 'Connect a container to a network' },
  { name: 'net', kind: 'string', hidden: true, help: 'Connect a container to a network' },
  { name: 'network-alias', kind: 'list', help: 'Add network-scoped alias for the container' },
  { name: 'no-healthcheck', kind: 'bool', help: 'Disable any container-specified HEALTHCHECK' },
  { name: 'oom-kill-disable', kind: 'bool', help: 'Disable OOM Killer' },
  { name: 'oom-score-adj', kind: 'int', help: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: 'pid', kind: 'string', help: 'PID namespace to use' },
  { name: 'pids-limit', kind: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable' },
  { name: 'privileged', kind: 'bool', help: 'Give extended privileges to this container' },
  { name: 'publish', short: 'p', kind: 'list', help: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', kind: 'bool', help: 'Publish all exposed ports to random ports' },
  {
    name: 'pull',
    kind: 'string',
    default: 'missing',
    help: 'Pull image before running ("always", "missing", "never")',
  },
  { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the pull output' },
  { name: 'read-only', kind: 'bool', help: "Mount the container's root filesystem as read only" },
  { name: 'restart', kind: 'string', default: 'no', help: 'Restart policy to apply when a container exits' },
  {
    name: 'rm',
    kind: 'bool',
    help: 'Automatically remove the container and its associated anonymous volumes when it exits',
  },
  { name: 'security-opt', kind: 'list', help: 'Security Options' },
  { name: 'shm-size', kind: 'string', valueName: 'bytes', help: 'Size of /dev/shm' },
  { name: 'stop-signal', kind: 'string', help: 'Signal to stop the container' },
  { name: 'stop-timeout', kind: 'int', help: 'Timeout (in seconds) to stop a container' },
  { name: 'tmpfs', kind: 'list', help: 'Mount a tmpfs directory' },
  { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
  { name: 'ulimit', kind: 'list', help: 'Ulimit options' },
  { name: 'user', short: 'u', kind: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'userns', kind: 'string', help: 'User namespace to use' },
  { name: 'uts', kind: 'string', help: 'UTS namespace to use' },
  { name: 'volume', short: 'v', kind: 'list', help: 'Bind mount a volume' },
  { name: 'volumes-from', kind: 'list', help: 'Mount volumes from the specified container(s)' },
  { name: 'workdir', short: 'w', kind: 'string', help: 'Working directory inside the container' },
] as const satisfies readonly FlagSpec[];

/** The parsed values of CONTAINER_FLAGS (and run's own). */
export interface ContainerFlagValues {
  [name: string]: boolean | string | string[] | number;
}

const str = (f: ContainerFlagValues, n: string): string => (f[n] as string | undefined) ?? '';
const list = (f: ContainerFlagValues, n: string): string[] => (f[n] as string[] | undefined) ?? [];
const int = (f: ContainerFlagValues, n: string): number => (f[n] as number | undefined) ?? 0;
const bool = (f: ContainerFlagValues, n: string): boolean => (f[n] as boolean | undefined) ?? false;

function bytesFlag(flag: string, value: string): number {
  if (value === '') return 0;
  try {
    return parseBytes(value);
  } catch {
    throw new CliExit(`invalid argument "${value}" for "--${flag}" flag: invalid size: '${value}'`, 125);
  }
}

/** KEY=value lines of an env or label file; '#' comments and blank lines skipped. */
export function readKeyValueFile(file: string, env: NodeJS.ProcessEnv, resolveBare: boolean): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliExit(`open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : String(err)}`, 125);
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.includes('=')) {
      const eq = line.indexOf('=');
      const key = line.slice(0, eq);
      if (/\s/.test(key)) throw new CliExit(`variable '${key}' contains whitespaces`, 125);
      out.push(line);
    } else if (resolveBare) {
      const value = env[line];
      if (value !== undefined) out.push(`${line}=${value}`);
    } else {
      out.push(line);
    }
  }
  return out;
}

/** -e KEY=value as given; -e KEY takes the value from the CLI's environment (dropped if unset). */
function envFlag(values: string[], env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.includes('=')) {
      if (v.startsWith('=')) throw new CliExit(`invalid environment variable: ${v}`, 125);
      out.push(v);
    } else if (env[v] !== undefined) {
      out.push(`${v}=${env[v]}`);
    }
  }
  return out;
}

function parseRestart(value: string): { Name: string; MaximumRetryCount: number } {
  if (value === '' || value === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  const [name = '', count] = value.split(':');
  if (!['always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new CliExit(`invalid restart policy format: ${value}`, 125);
  }
  if (count !== undefined) {
    if (name !== 'on-failure')
      throw new CliExit(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`, 125);
    if (!/^\d+$/.test(count))
      throw new CliExit(`invalid restart policy format: maximum retry count must be an integer`, 125);
  }
  return { Name: name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

function parseUlimit(value: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(value);
  if (!m) throw new CliExit(`invalid argument "${value}" for "--ulimit" flag: invalid ulimit argument: ${value}`, 125);
  const soft = Number(m[2]);
  return { Name: m[1]!, Soft: soft, Hard: m[3] === undefined ? soft : Number(m[3]) };
}

function parseDevice(value: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = value.split(':');
  const host = parts[0] ?? '';
  let inside = host;
  let perms = 'rwm';
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) perms = parts[1]!;
    else inside = parts[1]!;
  } else if (parts.length === 3) {
    inside = parts[1]!;
    perms = parts[2]!;
  } else if (parts.length > 3) {
    throw new CliExit(`invalid argument "${value}" for "--device" flag: bad format for path: ${value}`, 125);
  }
  if (!/^[rwm]+$/.test(perms))
    throw new CliExit(`invalid argument "${value}" for "--device" flag: bad mode specified: ${perms}`, 125);
  return { PathOnHost: host, PathInContainer: inside, CgroupPermissions: perms };
}

/** -p [ip:][hostPort:]containerPort[/proto], with ranges. */
export function parsePublish(values: string[]): {
  exposed: Record<string, object>;
  bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const raw of values) {
    let spec = raw;
    let proto = 'tcp';
    const slash = spec.lastIndexOf('/');
    if (slash >= 0) {
      proto = spec.slice(slash + 1).toLowerCase();
      spec = spec.slice(0, slash);
      if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new CliExit(`invalid proto: ${proto}`, 125);
    }
    let ip = '';
    let hostPart = '';
    let containerPart: string;
    const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(spec);
    if (ipv6) {
      ip = ipv6[1]!;
      spec = ipv6[2]!;
      const parts = spec.split(':');
      containerPart = parts.pop()!;
      hostPart = parts.join(':');
    } else {
      const parts = spec.split(':');
      containerPart = parts.pop()!;
      if (parts.length === 2) [ip, hostPart] = [parts[0]!, parts[1]!];
      else if (parts.length === 1) hostPart = parts[0]!;
      else if (parts.length > 2) throw new CliExit(`invalid port format: ${raw}`, 125);
    }
    const range = (s: string): [number, number] => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(s);
      if (!m) throw new CliExit(`invalid containerPort: ${s}`, 125);
      return [Number(m[1]), Number(m[2] ?? m[1])];
    };
    const [cStart, cEnd] = range(containerPart);
    const hostRange = hostPart === '' ? undefined : range(hostPart);
    const count = cEnd - cStart + 1;
    if (hostRange && hostRange[1] - hostRange[0] + 1 !== count && hostRange[0] !== hostRange[1]) {
      throw new CliExit(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`, 125);
    }
    for (let i = 0; i < count; i++) {
      const key = `${cStart + i}/${proto}`;
      exposed[key] = {};
      let hostPort = '';
      if (hostRange) hostPort = hostRange[0] === hostRange[1] && count > 1 ? `${hostRange[0]}` : `${hostRange[0] + i}`;
      bindings[key] = [...(bindings[key] ?? []), { HostIp: ip, HostPort: hostPort }];
    }
  }
  return { exposed, bindings };
}

/** Builds the create request from run/create flags, the image and the command. */
export function buildCreateRequest(
  flags: ContainerFlagValues,
  changed: ReadonlySet<string>,
  image: string,
  command: string[],
  env: NodeJS.ProcessEnv,
  options: { detach: boolean; autoRemove: boolean; consoleSize?: [number, number] },
): ContainerCreateRequest {
  const attach = list(flags, 'attach').map((a) => a.toLowerCase());
  for (const a of attach) {
    if (!['stdin', 'stdout', 'stderr'].includes(a))
      throw new CliExit(
        `invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`,
        125,
      );
  }
  const interactive = bool(flags, 'interactive');
  if (options.detach && attach.length > 0) throw new CliExit('Conflicting options: -a and -d', 125);
  const attachStdin = !options.detach && (attach.length > 0 ? attach.includes('stdin') : interactive);
  const attachStdout = !options.detach && (attach.length > 0 ? attach.includes('stdout') : true);
  const attachStderr = !options.detach && (attach.length > 0 ? attach.includes('stderr') : true);

  const memory = bytesFlag('memory', str(flags, 'memory'));
  const memorySwapText = str(flags, 'memory-swap');
  const memorySwap = memorySwapText === '-1' ? -1 : bytesFlag('memory-swap', memorySwapText);
  const cpusText = str(flags, 'cpus');
  let nanoCpus = 0;
  if (cpusText !== '') {
    const n = Number(cpusText);
    if (!Number.isFinite(n) || n < 0)
      throw new CliExit(
        `invalid argument "${cpusText}" for "--cpus" flag: failed to parse ${cpusText} as a rational number`,
        125,
      );
    nanoCpus = Math.round(n * 1e9);
  }

  const envs = [
    ...list(flags, 'env-file').flatMap((f) => readKeyValueFile(path.resolve(f), env, true)),
    ...envFlag(list(flags, 'env'), env),
  ];
  const labels: Record<string, string> = {};
  for (const l of [
    ...list(flags, 'label-file').flatMap((f) => readKeyValueFile(path.resolve(f), env, false)),
    ...list(flags, 'label'),
  ]) {
    const eq = l.indexOf('=');
    if (eq < 0) labels[l] = '';
    else labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  const logOpts: Record<string, string> = {};
  for (const o of list(flags, 'log-opt')) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new CliExit(`invalid key/value pair format in logging opts: ${o}`, 125);
    logOpts[o.slice(0, eq)] = o.slice(eq + 1);
  }
  const tmpfs: Record<string, string> = {};
  for (const t of list(flags, 'tmpfs')) {
    const colon = t.indexOf(':');
    if (colon < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, colon)] = t.slice(colon + 1);
  }
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of list(flags, 'volume')) {
    const parts = v.split(':');
    if (parts.length === 1) {
      volumes[v] = {};
      continue;
    }
    const [src = '', ...rest] = parts;
    // Like the docker CLI: a relative host path is made absolute.
    const source = src.startsWith('.') ? path.resolve(src) : src;
    binds.push([source, ...rest].join(':'));
  }
  const { exposed, bindings } = parsePublish(list(flags, 'publish'));
  for (const e of list(flags, 'expose')) {
    const [port = '', proto = 'tcp'] = e.split('/');
    exposed[`${port}/${proto}`] = {};
  }
  const network = str(flags, 'network') || str(flags, 'net') || 'default';
  const entrypointGiven = changed.has('entrypoint');

  const host: HostConfigWire = {
    Binds: binds.length > 0 ? binds : null,
    ContainerIDFile: '',
    LogConfig: { Type: str(flags, 'log-driver'), Config: logOpts },
    NetworkMode: network,
    PortBindings: bindings,
    RestartPolicy: parseRestart(str(flags, 'restart')),
    AutoRemove: options.autoRemove,
    VolumeDriver: '',
    VolumesFrom: list(flags, 'volumes-from').length > 0 ? list(flags, 'volumes-from') : null,
    ...(list(flags, 'mount').length > 0 ? { Mounts: list(flags, 'mount').map((m) => mountFlag(m)) } : {}),
    ConsoleSize: options.consoleSize ?? [0, 0],
    CapAdd: list(flags, 'cap-add').map(normalizeCap),
    CapDrop: list(flags, 'cap-drop').map(normalizeCap),
    CgroupnsMode: str(flags, 'cgroupns'),
    Dns: list(flags, 'dns'),
    DnsOptions: list(flags, 'dns-option'),
    DnsSearch: list(flags, 'dns-search'),
    ExtraHosts: list(flags, 'add-host'),
    GroupAdd: list(flags, 'group-add'),
    IpcMode: str(flags, 'ipc'),
    Cgroup: '',
    Links: null,
    OomScoreAdj: int(flags, 'oom-score-adj'),
    PidMode: str(flags, 'pid'),
    Privileged: bool(flags, 'privileged'),
    PublishAllPorts: bool(flags, 'publish-all'),
    ReadonlyRootfs: bool(flags, 'read-only'),
    SecurityOpt: list(flags, 'security-opt'),
    Tmpfs: Object.keys(tmpfs).length > 0 ? tmpfs : null,
    UTSMode: str(flags, 'uts'),
    UsernsMode: str(flags, 'userns'),
    ShmSize: bytesFlag('shm-size', str(flags, 'shm-size')),
    CpuShares: int(flags, 'cpu-shares'),
    Memory: memory,
    NanoCpus: nanoCpus,
    CgroupParent: str(flags, 'cgroup-parent'),
    BlkioWeight: int(flags, 'blkio-weight'),
    CpuPeriod: int(flags, 'cpu-period'),
    CpuQuota: int(flags, 'cpu-quota'),
    CpusetCpus: str(flags, 'cpuset-cpus'),
    CpusetMems: str(flags, 'cpuset-mems'),
    Devices: list(flags, 'device').map(parseDevice),
    MemoryReservation: bytesFlag('memory-reservation', str(flags, 'memory-reservation')),
    MemorySwap: memorySwap,
    MemorySwappiness: int(flags, 'memory-swappiness'),
    OomKillDisable: bool(flags, 'oom-kill-disable'),
    PidsLimit: int(flags, 'pids-limit'),
    Ulimits: list(flags, 'ulimit').map(parseUlimit),
    Init: bool(flags, 'init') ? true : null,
  };
  const request: ContainerCreateRequest = {
    Hostname: str(flags, 'hostname'),
    Domainname: str(flags, 'domainname'),
    User: str(flags, 'user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: exposed,
    Tty: bool(flags, 'tty'),
    OpenStdin: interactive,
    StdinOnce: interactive && !options.detach,
    Env: envs,
    Cmd: command.length > 0 ? command : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: str(flags, 'workdir'),
    Entrypoint: entrypointGiven ? (str(flags, 'entrypoint') === '' ? [''] : [str(flags, 'entrypoint')]) : null,
    OnBuild: null,
    Labels: labels,
    HostConfig: host,
    NetworkingConfig: { EndpointsConfig: endpointsConfig(flags, network) },
  };
  if (str(flags, 'stop-signal') !== '') request.StopSignal = str(flags, 'stop-signal');
  if (changed.has('stop-timeout')) request.StopTimeout = int(flags, 'stop-timeout');
  const healthcheck = healthcheckFromFlags(flags);
  if (healthcheck !== undefined) request.Healthcheck = healthcheck;
  return request;
}

/** The docker client's normalizeCapabilities: upper case, CAP_ prefix, ALL kept. */
function normalizeCap(c: string): string {
  const u = c.toUpperCase();
  if (u === 'ALL') return u;
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}
