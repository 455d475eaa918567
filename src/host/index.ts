/**
 * The seam between berth and the kernel (STYLE.md §1.2). Everything that
 * mounts, makes device nodes, sets xattrs or starts the native core goes
 * through a `Host`. `LinuxHost` does it for real; `RecordingHost` records the
 * calls so that logic can be unit-tested without root.
 */

/** A mount described as data, as containerd's mount.Mount. */
export interface Mount {
  /** Filesystem type: 'overlay', 'bind', 'tmpfs', ... */
  type: string;
  /** Device or source path ('overlay' for overlay mounts). */
  source: string;
  /** Mount options as `mount -o` would take them, e.g. `lowerdir=...`, `ro`. */
  options: string[];
}

export interface Host {
  /** Mounts `mount` on `target` (which must exist). */
  mount(mount: Mount, target: string): Promise<void>;
  /** Unmounts `target`; with `detach`, lazily (MNT_DETACH). Not mounted is not an error. */
  unmount(target: string, options?: { detach?: boolean }): Promise<void>;
  /** The mount points at or below `prefix`, deepest first. */
  mountsUnder(prefix: string): Promise<string[]>;
  /** mknod(2): a character or block device, or a fifo. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2), not following symlinks. */
  lsetxattr(path: string, name: string, value: Uint8Array): void;
  /** lgetxattr(2); undefined when the attribute is absent. */
  lgetxattr(path: string, name: string): Uint8Array | undefined;
  /** llistxattr(2). */
  llistxattr(path: string): string[];
}

export { LinuxHost, MNT, MS, mountCall } from './linux-host';
export { type MountInfoEntry, mountPointsUnder, parseMountInfo, unescapeMountPath } from './mountinfo';
export { loadNative, type NativeAddon, nativeDir } from './native';
export { type HostCall, RecordingHost, type RecordingHostOptions } from './recording-host';
