/**
 * Finding the cgroup hierarchies and where a process sits in them, from the
 * text of /proc/<pid>/mountinfo and /proc/<pid>/cgroup (cgroups(7)).
 *
 * - v2 (unified): a cgroup2 filesystem is mounted at the cgroupfs root itself.
 * - v1: one cgroup (v1) mount per hierarchy, each carrying one or more controllers
 *   (`cpu,cpuacct`) or a name (`name=systemd`) in its super options.
 * - hybrid: v1 hierarchies plus a cgroup2 mount somewhere (systemd puts it at
 *   `<root>/unified`); it is treated as v1, the cgroup2 tree only reported.
 */
import path from 'node:path';
import { parseMountInfo } from '../mountinfo';
import { unavailable } from './fs';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** Controllers the kernel can attach to a v1 hierarchy (named hierarchies aside). */
const V1_CONTROLLERS = new Set([
  'cpu',
  'cpuacct',
  'cpuset',
  'memory',
  'devices',
  'freezer',
  'net_cls',
  'net_prio',
  'blkio',
  'perf_event',
  'hugetlb',
  'pids',
  'rdma',
  'misc',
]);

/** One mounted hierarchy. */
export interface CgroupHierarchy {
  /** Where it is mounted (rebased onto the requested root). */
  mountPoint: string;
  /** The path within the hierarchy that the mount shows at its mount point ('/' unless cgroupns or a bind). */
  mountRoot: string;
  /** v1: the controllers ('cpu', 'cpuacct') and any 'name=x'; v2: empty. */
  subsystems: string[];
}

export interface CgroupLayout {
  mode: 'v1' | 'v2' | 'hybrid';
  /** v1 hierarchies (empty on v2). */
  v1: CgroupHierarchy[];
  /** The cgroup2 mount, if any (the one used on v2; only reported in hybrid mode). */
  unified: CgroupHierarchy | undefined;
}

/**
 * Reads the hierarchies out of mountinfo text. Mount points under /sys/fs/cgroup are rebased onto
 * `root` when a different root is given (a fake tree in tests); other cgroup mounts are then ignored.
 */
export function detectCgroupLayout(mountinfo: string, root: string = DEFAULT_CGROUP_ROOT): CgroupLayout {
  const rebased = root !== DEFAULT_CGROUP_ROOT;
  const rebase = (mountPoint: string): string | undefined => {
    if (!rebased) return mountPoint;
    if (mountPoint === DEFAULT_CGROUP_ROOT) return root;
    if (mountPoint.startsWith(`${DEFAULT_CGROUP_ROOT}/`)) {
      return path.join(root, mountPoint.slice(DEFAULT_CGROUP_ROOT.length + 1));
    }
    return undefined;
  };
  const v1: CgroupHierarchy[] = [];
  let unified: CgroupHierarchy | undefined;
  let unifiedAtRoot = false;
  const seen = new Set<string>();
  for (const entry of parseMountInfo(mountinfo)) {
    if (entry.fsType !== 'cgroup' && entry.fsType !== 'cgroup2') continue;
    const mountPoint = rebase(entry.mountPoint);
    if (mountPoint === undefined) continue;
    if (entry.fsType === 'cgroup2') {
      const atRoot = mountPoint === root;
      // Prefer the mount at the root, then the first one under it.
      if (unified === undefined || (atRoot && !unifiedAtRoot)) {
        unified = { mountPoint, mountRoot: entry.root, subsystems: [] };
        unifiedAtRoot = atRoot;
      }
      continue;
    }
    const subsystems = entry.superOptions
      .split(',')
      .filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='))
      .sort();
    if (subsystems.length === 0) continue;
    // The same hierarchy can be mounted more than once (binds); keep the first.
    const key = subsystems.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    v1.push({ mountPoint, mountRoot: entry.root, subsystems });
  }
  if (unified !== undefined && unifiedAtRoot) return { mode: 'v2', v1: [], unified };
  if (v1.some((h) => h.subsystems.some((s) => !s.startsWith('name=')))) {
    return { mode: unified === undefined ? 'v1' : 'hybrid', v1, unified };
  }
  if (unified !== undefined) return { mode: 'v2', v1: [], unified };
  throw unavailable(`no cgroup hierarchy is mounted at ${root}`);
}

/** /proc/<pid>/cgroup: `hierarchy-id:controller-list:path`; v2's line is `0::/path`. */
export interface ProcCgroupEntry {
  id: number;
  /** Controllers and `name=x` of a v1 hierarchy; empty for the v2 line. */
  subsystems: string[];
  path: string;
}

export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const list = line.slice(first + 1, second);
    out.push({
      id: Number(line.slice(0, first)),
      subsystems: list === '' ? [] : list.split(',').sort(),
      path: line.slice(second + 1),
    });
  }
  return out;
}

/** The path of a v1 hierarchy (identified by its subsystems) in parsed /proc/<pid>/cgroup, or of the v2 line. */
export function cgroupPathIn(entries: ProcCgroupEntry[], subsystems: string[]): string | undefined {
  const key = [...subsystems].sort().join(',');
  return entries.find((e) => e.subsystems.join(',') === key)?.path;
}

/**
 * The directory of cgroup `cgroupPath` (as /proc/<pid>/cgroup shows it) in hierarchy `h`. When the
 * mount shows a subtree (`mountRoot` ≠ '/'), paths under that subtree are made relative to it.
 */
export function cgroupDir(h: CgroupHierarchy, cgroupPath: string): string {
  const p = path.posix.normalize(`/${cgroupPath}`);
  if (h.mountRoot !== '/' && (p === h.mountRoot || p.startsWith(`${h.mountRoot}/`))) {
    return stripSlash(path.join(h.mountPoint, p.slice(h.mountRoot.length)));
  }
  return stripSlash(path.join(h.mountPoint, p));
}

function stripSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
