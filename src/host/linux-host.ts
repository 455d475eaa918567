/**
 * The real `Host`: mounts, device nodes and xattrs through the native addon
 * (native/addon/berth.c), mount listing from /proc/self/mountinfo.
 */
import { readFileSync } from 'node:fs';
import { EngineError, errnoCode } from '../common/errors';
import type { Host, Mount } from './index';
import { mountPointsUnder, parseMountInfo } from './mountinfo';
import { loadNative, type NativeAddon } from './native';

/** mount(2) flags (include/uapi/linux/mount.h; the same on every Linux architecture). */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
} as const;

/** umount2(2) flags. */
export const MNT = { FORCE: 0x1, DETACH: 0x2 } as const;

/** The kernel copies at most one page of mount data, NUL included. */
export const MOUNT_DATA_MAX = 4095;

/** Options that are flags rather than filesystem data: [set, clear]. */
const FLAG_OPTIONS: Record<string, [number, number]> = {
  ro: [MS.RDONLY, 0],
  rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0],
  suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0],
  dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0],
  exec: [0, MS.NOEXEC],
  sync: [MS.SYNCHRONOUS, 0],
  async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0],
  noatime: [MS.NOATIME, 0],
  atime: [0, MS.NOATIME],
  nodiratime: [MS.NODIRATIME, 0],
  diratime: [0, MS.NODIRATIME],
  relatime: [MS.RELATIME, 0],
  norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0],
  nosymfollow: [MS.NOSYMFOLLOW, 0],
  bind: [MS.BIND, 0],
  rbind: [MS.BIND | MS.REC, 0],
  remount: [MS.REMOUNT, 0],
  defaults: [0, 0],
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

export interface MountCall {
  flags: number;
  /** Comma-joined filesystem options, or null when there are none. */
  data: string | null;
  /** Propagation change applied after the mount (0: none). */
  propagation: number;
}

/** Splits `mount -o` style options into mount(2) flags, fs data and propagation. */
export function mountCall(mount: Mount): MountCall {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const option of mount.options) {
    const flag = FLAG_OPTIONS[option];
    const prop = PROPAGATION[option];
    if (flag) {
      flags = (flags | flag[0]) & ~flag[1];
    } else if (prop !== undefined) {
      propagation |= prop;
    } else {
      data.push(option);
    }
  }
  if (mount.type === 'bind') flags |= MS.BIND;
  const joined = data.join(',');
  if (joined.length > MOUNT_DATA_MAX) {
    throw new EngineError(
      'invalid-argument',
      `mount options for ${mount.type} are ${joined.length} bytes, more than the kernel's limit of ${MOUNT_DATA_MAX}`,
    );
  }
  return { flags, data: data.length > 0 ? joined : null, propagation };
}

/** How long after a mount or unmount the C heap is trimmed (one trim per such period at most). */
const TRIM_DELAY_MS = 500;

export class LinuxHost implements Host {
  private readonly addon: () => NativeAddon;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(addon: () => NativeAddon = loadNative) {
    this.addon = addon;
  }

  async mount(mount: Mount, target: string): Promise<void> {
    this.scheduleTrim();
    const call = mountCall(mount);
    const native = this.addon();
    const fstype = mount.type === 'bind' ? '' : mount.type;
    native.mount(mount.source, target, fstype, call.flags, call.data);
    // A bind mount ignores per-mount flags on creation: apply them with a remount.
    const perMount = call.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (call.flags & MS.BIND && perMount !== 0 && !(call.flags & MS.REMOUNT)) {
      try {
        native.mount('', target, '', MS.REMOUNT | MS.BIND | perMount, null);
      } catch (err) {
        native.umount2(target, MNT.DETACH);
        throw err;
      }
    }
    if (call.propagation !== 0) native.mount('', target, '', call.propagation, null);
  }

  async unmount(target: string, options: { detach?: boolean } = {}): Promise<void> {
    this.scheduleTrim();
    try {
      this.addon().umount2(target, options.detach ? MNT.DETACH : 0);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EINVAL' || code === 'ENOENT') return; // not a mount point, or gone
      throw err;
    }
  }

  /**
   * Container churn (a mount starts and an unmount ends every run) leaves tens of MB of the C
   * heap free but still resident (Node's transient native buffers, glibc's raised trim
   * threshold): a moment after, give it back. malloc_trim takes about a millisecond.
   */
  private scheduleTrim(): void {
    if (this.trimTimer !== undefined) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      try {
        this.addon().mallocTrim?.();
      } catch {
        // an addon without it, or none: nothing to trim
      }
    }, TRIM_DELAY_MS);
    this.trimTimer.unref();
  }

  async mountsUnder(prefix: string): Promise<string[]> {
    // A procfs read: synchronous is cheaper than a threadpool round trip.
    return mountPointsUnder(parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')), prefix);
  }

  mknod(path: string, mode: number, major: number, minor: number): void {
    this.addon().mknod(path, mode, major, minor);
  }

  lsetxattr(path: string, name: string, value: Uint8Array): void {
    this.addon().lsetxattr(path, name, value);
  }

  lgetxattr(path: string, name: string): Uint8Array | undefined {
    try {
      return this.addon().lgetxattr(path, name);
    } catch (err) {
      if (errnoCode(err) === 'ENODATA') return undefined;
      throw err;
    }
  }

  llistxattr(path: string): string[] {
    return this.addon().llistxattr(path);
  }
}
