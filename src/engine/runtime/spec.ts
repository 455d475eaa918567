/**
 * The OCI runtime spec of a container as Docker writes it (moby
 * daemon/pkg/oci/defaults.go, daemon/oci_linux.go): default mounts, masked
 * and read-only paths, capabilities, namespaces, devices, seccomp. What runc
 * would then do with it at run time (the v1 cgroup layout, default symlinks)
 * is plan.ts's business.
 *
 * Privileged containers: all capabilities, no masked or read-only paths, no
 * seccomp, /sys and /sys/fs/cgroup read-write, every device allowed in the
 * device cgroup, and the host's device nodes (passed in by the caller, who
 * scans /dev) created in the container's /dev.
 */
import os from 'node:os';
import { invalidArgument } from '../../common/errors';
import { resolveCapabilities } from './capabilities';
import type { OciDevice, OciDeviceCgroup, OciMount, OciNamespace, OciNamespaceType, OciSpec } from './oci-spec';
import { parseSeccompProfile, resolveSeccomp, type SeccompProfile } from './seccomp';
import { DEFAULT_PROFILE } from './seccomp-profile';
import type { NamespaceMode, RuntimeRequest } from './types';

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** The device nodes every container gets (runc's defaults; Docker relies on them). */
export const DEFAULT_DEVICES: readonly OciDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

/** Docker's device cgroup rules for an unprivileged container. */
export const DEFAULT_DEVICE_RULES: readonly OciDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

const RLIMITS = new Set([
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

export interface SpecInputs {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** --device entries with their host numbers (from stat of pathOnHost). */
  devices?: OciDevice[];
  /** For privileged containers: the host's device nodes. */
  hostDevices?: OciDevice[];
  /** Node's arch and the kernel release, for seccomp (defaults: this host). */
  arch?: string;
  kernel?: string;
  /** CPUs whose thermal_throttle directory is masked (default: this host's count). */
  cpus?: number;
  /** The daemon's capability bounding set: what "all capabilities" means here. */
  availableCapabilities?: bigint;
}

/**
 * Merges tmpfs options as Docker does: defaults first, later options win
 * over their opposites (exec/noexec, suid/nosuid, dev/nodev, rw/ro, atime).
 */
export function mergeTmpfsOptions(defaults: readonly string[], user: readonly string[]): string[] {
  const opposite: Record<string, string> = {
    exec: 'noexec',
    noexec: 'exec',
    suid: 'nosuid',
    nosuid: 'suid',
    dev: 'nodev',
    nodev: 'dev',
    rw: 'ro',
    ro: 'rw',
    atime: 'noatime',
    noatime: 'atime',
  };
  let out: string[] = [];
  for (const o of [...defaults, ...user]) {
    if (o === '') continue;
    const key = o.includes('=') ? o.slice(0, o.indexOf('=')) : o;
    out = out.filter((x) => x !== o && x !== opposite[o] && !(o.includes('=') && x.startsWith(`${key}=`)));
    out.push(o);
  }
  // exec/suid/dev/atime are the absence of their no- flags
  return out.filter((o) => !['exec', 'suid', 'dev', 'atime'].includes(o));
}

function depth(p: string): number {
  return path_clean(p).split('/').length - 1;
}

function path_clean(p: string): string {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  return `/${parts.join('/')}`;
}

const NS_TYPES: Array<[keyof RuntimeRequest['namespaces'], OciNamespaceType]> = [
  ['pid', 'pid'],
  ['net', 'network'],
  ['ipc', 'ipc'],
  ['uts', 'uts'],
  ['cgroup', 'cgroup'],
];

function namespaces(request: RuntimeRequest): OciNamespace[] {
  if (request.namespaces.user) throw invalidArgument('user namespaces are not supported yet');
  const out: OciNamespace[] = [{ type: 'mount' }];
  for (const [key, type] of NS_TYPES) {
    const mode = request.namespaces[key] as NamespaceMode;
    if (mode.kind === 'private') out.push({ type });
    else if (mode.kind === 'path') out.push({ type, path: mode.path });
  }
  return out;
}

/** The seccomp profile a request asks for, before resolution (undefined: none). */
export function requestedSeccomp(request: Pick<RuntimeRequest, 'seccomp' | 'privileged'>): SeccompProfile | undefined {
  if (request.privileged) return undefined;
  switch (request.seccomp.kind) {
    case 'unconfined':
      return undefined;
    case 'default':
      return DEFAULT_PROFILE;
    case 'profile':
      return parseSeccompProfile(request.seccomp.json);
  }
}

/** Builds the OCI spec for a request (pure: everything from the host comes in `inputs`). */
export function buildSpec(request: RuntimeRequest, inputs: SpecInputs): OciSpec {
  const privileged = request.privileged;
  const caps = resolveCapabilities({
    capAdd: request.capAdd,
    capDrop: request.capDrop,
    privileged,
    ...(inputs.availableCapabilities === undefined ? {} : { available: inputs.availableCapabilities }),
  });
  const ipcPrivate = request.namespaces.ipc.kind !== 'host';
  const utsPrivate = request.namespaces.uts.kind !== 'host';

  // user mounts first, to know which defaults they replace
  const user: OciMount[] = [];
  for (const [dest, opts] of Object.entries(request.tmpfs)) {
    if (!dest.startsWith('/')) throw invalidArgument(`invalid mount path: '${dest}' mount path must be absolute`);
    const userOpts = opts === '' ? [] : opts.split(',');
    user.push({
      destination: dest,
      type: 'tmpfs',
      source: 'tmpfs',
      options: [...mergeTmpfsOptions(['noexec', 'nosuid', 'nodev'], userOpts), 'rprivate'],
    });
  }
  for (const m of request.mounts) {
    if (!m.destination.startsWith('/'))
      throw invalidArgument(`invalid mount path: '${m.destination}' mount path must be absolute`);
    if (m.type === 'tmpfs') {
      user.push({
        destination: m.destination,
        type: 'tmpfs',
        source: 'tmpfs',
        options: [...mergeTmpfsOptions(['noexec', 'nosuid', 'nodev'], m.options), 'rprivate'],
      });
    } else {
      const options = [...m.options];
      if (!options.includes('bind') && !options.includes('rbind')) options.unshift('rbind');
      if (!options.some((o) => /^r?(private|slave|shared|unbindable)$/.test(o))) options.push('rprivate');
      user.push({ destination: m.destination, type: 'bind', source: m.source, options });
    }
  }
  const etc: OciMount[] = [
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: request.etcFiles.resolvConf,
      options: ['rbind', 'rprivate'],
    },
    { destination: '/etc/hostname', type: 'bind', source: request.etcFiles.hostname, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: request.etcFiles.hosts, options: ['rbind', 'rprivate'] },
  ].filter((e) => e.source !== '' && !user.some((u) => path_clean(u.destination) === e.destination));
  const userDests = new Set([...user, ...etc].map((m) => path_clean(m.destination)));

  const defaults: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro', 'relatime'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${request.shmSize > 0 ? request.shmSize : 64 << 20}`],
    },
  ].filter((m) => !userDests.has(m.destination) && (m.destination !== '/dev/mqueue' || ipcPrivate));

  if (request.readonlyRootfs) {
    for (const m of defaults) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) continue;
      if (!m.options.includes('ro')) m.options = [...m.options.filter((o) => o !== 'rw'), 'ro'];
    }
  }
  const extra = [...user, ...etc].map((m, i) => ({ m, i }));
  extra.sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i);

  const ulimits = request.ulimits.map((u) => {
    const name = u.name.toLowerCase();
    if (!RLIMITS.has(name)) throw invalidArgument(`invalid ulimit type: ${u.name}`);
    if (u.soft > u.hard)
      throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
    return { type: `RLIMIT_${name.toUpperCase()}`, soft: u.soft, hard: u.hard };
  });

  const devices: OciDevice[] = [];
  const seen = new Set<string>();
  for (const d of [...(privileged ? (inputs.hostDevices ?? []) : []), ...DEFAULT_DEVICES, ...(inputs.devices ?? [])]) {
    if (seen.has(d.path)) {
      const i = devices.findIndex((x) => x.path === d.path);
      devices.splice(i, 1);
    }
    seen.add(d.path);
    devices.push(d);
  }
  const deviceRules: OciDeviceCgroup[] = privileged
    ? [{ allow: true, access: 'rwm' }]
    : [
        ...DEFAULT_DEVICE_RULES,
        ...(inputs.devices ?? [])
          .filter((d) => d.type === 'c' || d.type === 'b')
          .map((d) => {
            const req = request.devices.find((r) => r.pathInContainer === d.path);
            return {
              allow: true,
              type: d.type as 'c' | 'b',
              major: d.major,
              minor: d.minor,
              access: req?.permissions || 'rwm',
            };
          }),
      ];

  const cpus = inputs.cpus ?? os.cpus().length;
  const masked = privileged
    ? []
    : [
        ...DEFAULT_MASKED_PATHS,
        ...Array.from({ length: cpus }, (_, i) => `/sys/devices/system/cpu/cpu${i}/thermal_throttle`),
      ];

  const profile = requestedSeccomp(request);
  const seccompOptions = {
    capabilities: caps,
    ...(inputs.arch === undefined ? {} : { arch: inputs.arch }),
    ...(inputs.kernel === undefined ? {} : { kernel: inputs.kernel }),
  };
  const spec: OciSpec = {
    ociVersion: '1.2.0',
    process: {
      terminal: request.tty,
      ...(request.tty ? { consoleSize: consoleSizeOf(request) } : {}),
      user: { uid: inputs.uid, gid: inputs.gid, additionalGids: inputs.additionalGids },
      args: request.args,
      env: request.env,
      cwd: request.cwd === '' ? '/' : request.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: ulimits,
      noNewPrivileges: request.noNewPrivileges,
      oomScoreAdj: request.oomScoreAdj,
    },
    root: { path: request.rootfs, readonly: request.readonlyRootfs },
    hostname: utsPrivate ? request.hostname : '',
    mounts: [...defaults, ...extra.map((e) => e.m)],
    linux: {
      namespaces: namespaces(request),
      devices,
      resources: { devices: deviceRules },
      cgroupsPath: request.cgroupsPath ?? `/berth/${request.id}`,
      maskedPaths: masked,
      readonlyPaths: privileged ? [] : [...DEFAULT_READONLY_PATHS],
    },
  };
  if (request.domainname !== '' && utsPrivate) spec.domainname = request.domainname;
  if (request.namespaces.net.kind !== 'host') {
    spec.linux.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' };
  }
  if (profile) {
    const r = resolveSeccomp(profile, seccompOptions);
    spec.linux.seccomp = r;
  }
  return spec;
}

/** The pty's size at start: the requested one, else Docker's 24x80 (engine-api.md §4.4; moby's default). */
function consoleSizeOf(request: RuntimeRequest): { height: number; width: number } {
  const size = request.consoleSize;
  if (size === undefined || size.rows <= 0 || size.cols <= 0) return { height: 24, width: 80 };
  return { height: size.rows, width: size.cols };
}
