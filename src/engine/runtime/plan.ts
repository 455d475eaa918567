/**
 * The launch plan (docs/design/0002-native-core.md §2) from an OCI spec: what
 * runc would do with config.json, spelled out for the native core. Lines are
 * written in the core's canonical order and formats, so `berth-core
 * plan-check` prints exactly what we wrote (the round-trip test).
 *
 * runc's run-time decisions made here:
 * - /sys/fs/cgroup: v2 → a cgroup2 mount (private cgroupns) or a bind of the
 *   container's cgroup dir; v1/hybrid → a tmpfs with one mount per hierarchy
 *   (a fresh `cgroup` fs in a private cgroupns, else a bind of the
 *   container's dir in that hierarchy), each read-only itself, co-mounted
 *   controller symlinks, and the tmpfs made read-only by a `readonly` line.
 *   No recursive read-only bind over writable submounts.
 * - default /dev symlinks (/dev/ptmx, /dev/fd, /dev/std*), unless /dev is a bind.
 * - OCI mount options the core does not take as flags go to the data field;
 *   `rro` is taken as `ro` (the submounts of such binds stay as they are).
 */
import { encodeField } from '../../host/runtime';
import { capabilityMask } from './capabilities';
import type { OciMount, OciSpec } from './oci-spec';

export interface PlanCgroupLayout {
  version: 1 | 2;
  hierarchies: Array<{ mountPoint: string; fsType: 'cgroup' | 'cgroup2'; controllers: string }>;
}

export interface PlanExtras {
  id: string;
  /** Directories the init joins (one per v1 hierarchy, or the v2 dir). */
  cgroupPaths: string[];
  /** The host's cgroup hierarchies, to build the container's /sys/fs/cgroup (omitted: a read-only tmpfs). */
  cgroupLayout?: PlanCgroupLayout;
  log: { path: string; maxSize: number; maxFile: number };
  oomCounter?: { path: string; key: string };
  stdin: 'open' | 'null';
  /** The compiled filter (from spec.linux.seccomp). */
  seccomp?: { flags: number; program: Uint8Array };
}

/** Mount options the core applies as flags; the rest is filesystem data. */
const FLAG_OPTIONS = new Set([
  'ro',
  'rw',
  'nosuid',
  'nodev',
  'noexec',
  'sync',
  'dirsync',
  'noatime',
  'nodiratime',
  'relatime',
  'strictatime',
  'bind',
  'rbind',
  'private',
  'rprivate',
  'slave',
  'rslave',
  'shared',
  'rshared',
  'unbindable',
  'runbindable',
]);

const NS_ORDER: Array<[string, string]> = [
  ['pid', 'pid'],
  ['mount', 'mnt'],
  ['uts', 'uts'],
  ['ipc', 'ipc'],
  ['network', 'net'],
  ['cgroup', 'cgroup'],
  ['user', 'user'],
];

interface PlanMount {
  type: string;
  source: string;
  target: string;
  options: string[];
  data: string[];
}

function splitOptions(options: readonly string[]): { flags: string[]; data: string[] } {
  const flags: string[] = [];
  const data: string[] = [];
  for (const o of options) {
    const opt = o === 'rro' ? 'ro' : o;
    if (FLAG_OPTIONS.has(opt)) flags.push(opt);
    else if (!['exec', 'suid', 'dev', 'atime', 'diratime', 'async', 'norelatime', 'nostrictatime'].includes(opt))
      data.push(opt);
  }
  return { flags, data };
}

function cgroupMounts(
  m: OciMount,
  extras: PlanExtras,
  privateNs: boolean,
): { mounts: PlanMount[]; symlinks: Array<[string, string]>; readonly: string[] } {
  const { flags } = splitOptions(m.options);
  const ro = flags.includes('ro');
  const base = flags.filter((f) => f !== 'relatime');
  const layout = extras.cgroupLayout;
  const dest = m.destination;
  if (layout === undefined) {
    return {
      mounts: [
        {
          type: 'tmpfs',
          source: 'tmpfs',
          target: dest,
          options: [...base.filter((f) => f !== 'rw'), 'ro'],
          data: ['mode=755'],
        },
      ],
      symlinks: [],
      readonly: [],
    };
  }
  const dirFor = (mountPoint: string): string | undefined =>
    extras.cgroupPaths.find((p) => p === mountPoint || p.startsWith(`${mountPoint}/`));
  if (layout.version === 2) {
    const h = layout.hierarchies[0];
    if (privateNs || h === undefined)
      return {
        mounts: [{ type: 'cgroup2', source: 'cgroup2', target: dest, options: base, data: [] }],
        symlinks: [],
        readonly: [],
      };
    const dir = dirFor(h.mountPoint);
    if (dir === undefined) return { mounts: [], symlinks: [], readonly: [] };
    return {
      mounts: [{ type: 'bind', source: dir, target: dest, options: ['bind', ...base], data: [] }],
      symlinks: [],
      readonly: [],
    };
  }
  const mounts: PlanMount[] = [
    {
      type: 'tmpfs',
      source: 'tmpfs',
      target: dest,
      options: base.filter((f) => f !== 'ro' && f !== 'rw'),
      data: ['mode=755'],
    },
  ];
  const symlinks: Array<[string, string]> = [];
  for (const h of layout.hierarchies) {
    const name = h.mountPoint.slice(h.mountPoint.lastIndexOf('/') + 1);
    const target = `${dest}/${name}`;
    if (privateNs) {
      mounts.push({
        type: h.fsType,
        source: h.fsType,
        target,
        options: base,
        data: h.controllers === '' ? [] : [h.controllers],
      });
    } else {
      const dir = dirFor(h.mountPoint);
      if (dir === undefined) continue;
      mounts.push({ type: 'bind', source: dir, target, options: ['bind', ...base], data: [] });
    }
    if (h.fsType === 'cgroup' && name.includes(',')) {
      for (const c of name.split(',')) symlinks.push([`${dest}/${c}`, name]);
    }
  }
  return { mounts, symlinks, readonly: ro ? [dest] : [] };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Writes the plan for a spec (the text of `<bundle>/plan`). */
export function writePlan(spec: OciSpec, extras: PlanExtras): string {
  const out: string[] = ['berth-plan 1'];
  const line = (word: string, ...fields: Array<string | number>) => {
    out.push([word, ...fields.map((f) => encodeField(String(f)))].join(' '));
  };
  line('id', extras.id);
  const ns = spec.linux.namespaces;
  for (const [oci, name] of NS_ORDER) if (ns.some((n) => n.type === oci && n.path === undefined)) line('ns', name);
  for (const n of ns) {
    if (n.path === undefined) continue;
    const name = NS_ORDER.find(([oci]) => oci === n.type)?.[1] ?? n.type;
    line('join', name, n.path);
  }
  if (spec.hostname !== '') line('hostname', spec.hostname);
  line('root', spec.root.path);
  if (spec.root.readonly) line('readonly-root');

  const mounts: PlanMount[] = [];
  const symlinks: Array<[string, string]> = [];
  const readonly: string[] = [];
  for (const m of spec.mounts) {
    if ((m.type === 'cgroup' || m.type === 'cgroup2') && m.destination === '/sys/fs/cgroup') {
      const c = cgroupMounts(
        m,
        extras,
        ns.some((n) => n.type === 'cgroup' && n.path === undefined),
      );
      mounts.push(...c.mounts);
      symlinks.push(...c.symlinks);
      readonly.push(...c.readonly);
      continue;
    }
    const { flags, data } = splitOptions(m.options);
    const isBind = m.type === 'bind' || m.options.includes('bind') || m.options.includes('rbind');
    const rest = flags.filter((f) => f !== 'bind' && f !== 'rbind');
    const opts = isBind ? [m.options.includes('rbind') ? 'rbind' : 'bind', ...rest] : flags;
    mounts.push({ type: isBind ? 'bind' : m.type, source: m.source, target: m.destination, options: opts, data });
  }
  for (const m of mounts) line('mount', m.type, m.source, m.target, m.options.join(','), m.data.join(','));
  const devBound = spec.mounts.some(
    (m) => m.destination === '/dev' && (m.type === 'bind' || m.options.includes('rbind')),
  );
  if (!devBound) {
    for (const d of spec.linux.devices) {
      if (d.type !== 'c' && d.type !== 'b') continue;
      line('device', d.path, d.type, d.major, d.minor, `0${(d.fileMode & 0o7777).toString(8)}`, d.uid, d.gid);
    }
  }
  if (!devBound) {
    symlinks.unshift(
      ['/dev/ptmx', 'pts/ptmx'],
      ['/dev/fd', '/proc/self/fd'],
      ['/dev/stdin', '/proc/self/fd/0'],
      ['/dev/stdout', '/proc/self/fd/1'],
      ['/dev/stderr', '/proc/self/fd/2'],
    );
  }
  for (const [p, t] of symlinks) line('symlink', p, t);
  for (const p of spec.linux.maskedPaths) line('mask', p);
  for (const p of [...readonly, ...spec.linux.readonlyPaths]) line('readonly', p);
  for (const c of extras.cgroupPaths) line('cgroup', c);
  const proc = spec.process;
  for (const r of proc.rlimits) {
    const v = (n: number) => (n < 0 || n >= 2 ** 64 - 1 ? 'unlimited' : String(n));
    line('rlimit', r.type.replace(/^RLIMIT_/, ''), v(r.soft), v(r.hard));
  }
  if (proc.oomScoreAdj !== undefined) line('oom-score-adj', proc.oomScoreAdj);
  line('user', proc.user.uid, proc.user.gid);
  for (const g of proc.user.additionalGids) line('group', g);
  const caps = proc.capabilities;
  const sets: Array<[string, string[] | undefined]> = [
    ['bounding', caps.bounding],
    ['effective', caps.effective],
    ['permitted', caps.permitted],
    ['inheritable', caps.inheritable],
    ['ambient', caps.ambient],
  ];
  for (const [name, list] of sets) line('caps', name, `0x${capabilityMask(list ?? []).toString(16)}`);
  if (proc.noNewPrivileges) line('no-new-privs');
  if (extras.seccomp) line('seccomp', extras.seccomp.flags, hex(extras.seccomp.program));
  for (const e of proc.env) line('env', e);
  line('cwd', proc.cwd);
  for (const a of proc.args) line('arg', a);
  line('stdin', extras.stdin);
  if (proc.terminal) {
    line('terminal');
    const size = proc.consoleSize ?? { height: 24, width: 80 };
    line('console-size', size.height, size.width);
  }
  line('log', extras.log.path, extras.log.maxSize, extras.log.maxFile);
  if (extras.oomCounter) line('oom-counter', extras.oomCounter.path, extras.oomCounter.key);
  return `${out.join('\n')}\n`;
}
