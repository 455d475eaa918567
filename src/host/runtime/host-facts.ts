/**
 * What the runtime needs to know about the host to write a spec and a plan:
 * the cgroup hierarchies (for the container's /sys/fs/cgroup) and device
 * nodes (--device and --privileged).
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../common/errors';
import { parseMountInfo } from '../mountinfo';

export interface CgroupHierarchy {
  /** e.g. /sys/fs/cgroup/memory, /sys/fs/cgroup/cpu,cpuacct, /sys/fs/cgroup/unified. */
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the mount data naming the hierarchy ('memory', 'cpu,cpuacct', 'name=systemd'); v2: ''. */
  controllers: string;
}

export interface CgroupLayout {
  /** 2 when /sys/fs/cgroup itself is cgroup2 (unified), else 1 (legacy or hybrid). */
  version: 1 | 2;
  hierarchies: CgroupHierarchy[];
}

const V1_FLAGS = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'favordynmods']);

/** The cgroup layout under `root` (default /sys/fs/cgroup) from mountinfo text. */
export function parseCgroupLayout(mountinfo: string, root = '/sys/fs/cgroup'): CgroupLayout {
  const entries = parseMountInfo(mountinfo);
  const top = entries.filter((e) => e.mountPoint === root).at(-1);
  if (top?.fsType === 'cgroup2') {
    return { version: 2, hierarchies: [{ mountPoint: root, fsType: 'cgroup2', controllers: '' }] };
  }
  const hierarchies: CgroupHierarchy[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (path.dirname(e.mountPoint) !== root || seen.has(e.mountPoint)) continue;
    if (e.fsType === 'cgroup2') {
      hierarchies.push({ mountPoint: e.mountPoint, fsType: 'cgroup2', controllers: '' });
    } else if (e.fsType === 'cgroup') {
      const controllers = e.superOptions
        .split(',')
        .filter((o) => !V1_FLAGS.has(o) && !o.startsWith('release_agent='))
        .join(',');
      hierarchies.push({ mountPoint: e.mountPoint, fsType: 'cgroup', controllers });
    } else {
      continue;
    }
    seen.add(e.mountPoint);
  }
  return { version: 1, hierarchies };
}

export async function readCgroupLayout(): Promise<CgroupLayout> {
  return parseCgroupLayout(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

export interface HostDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

const major = (rdev: number): number => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
const minor = (rdev: number): number => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));

/** The device node at `file` (following symlinks, as docker's --device does). */
export async function statDevice(file: string): Promise<HostDevice> {
  const st = await fs.stat(file);
  if (!st.isCharacterDevice() && !st.isBlockDevice()) {
    throw Object.assign(new Error(`${file} is not a device node`), { code: 'ENODEV' });
  }
  return {
    path: file,
    type: st.isCharacterDevice() ? 'c' : 'b',
    major: major(st.rdev),
    minor: minor(st.rdev),
    fileMode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

/** Every device node under /dev, as Docker gives privileged containers (skips pts, shm, mqueue, console, ptmx). */
export async function listHostDevices(dir = '/dev'): Promise<HostDevice[]> {
  const out: HostDevice[] = [];
  const skipDirs = new Set(['pts', 'shm', 'mqueue', '.lxc', '.udev']);
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'EACCES') return;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!(d === dir && skipDirs.has(e.name))) await walk(p);
      } else if ((e.isCharacterDevice() || e.isBlockDevice()) && p !== '/dev/console' && p !== '/dev/ptmx') {
        try {
          const st = await fs.lstat(p);
          out.push({
            path: p,
            type: e.isCharacterDevice() ? 'c' : 'b',
            major: major(st.rdev),
            minor: minor(st.rdev),
            fileMode: st.mode & 0o7777,
            uid: st.uid,
            gid: st.gid,
          });
        } catch {
          // vanished while we looked
        }
      }
    }
  };
  await walk(dir);
  return out;
}

let boundingCache: bigint | undefined;

/**
 * The capability bounding set of this process (CapBnd in /proc/self/status).
 * A container can hold no capability the daemon lacks: on a host whose root
 * lacks CAP_SYS_RESOURCE, --privileged gets every capability but that one, as
 * with dockerd (moby computes "all capabilities" from its own bounding set).
 */
export function processBoundingSet(): bigint {
  if (boundingCache === undefined) {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    boundingCache = m ? BigInt(`0x${m[1]}`) : (1n << 41n) - 1n;
  }
  return boundingCache;
}
