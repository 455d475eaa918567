/**
 * A `Host` that records what it is asked to do instead of asking the kernel,
 * for unit tests without root. It keeps just enough state to answer
 * questions consistently: mounted targets and xattrs set through it.
 */
import { writeFileSync } from 'node:fs';
import type { Host, Mount } from './index';

export interface RecordingHostOptions {
  /**
   * Make mknod create an empty regular file at the path (failing with EEXIST
   * like the kernel), so that code which goes on to chown, chmod or replace
   * the node works against a real directory tree. Default false.
   */
  createFiles?: boolean;
}

export type HostCall =
  | { op: 'mount'; mount: Mount; target: string }
  | { op: 'unmount'; target: string; detach: boolean }
  | { op: 'mknod'; path: string; mode: number; major: number; minor: number }
  | { op: 'lsetxattr'; path: string; name: string; value: Uint8Array };

export class RecordingHost implements Host {
  readonly calls: HostCall[] = [];
  /** Mount targets, in mount order. */
  readonly mounted: string[] = [];
  private readonly xattrs = new Map<string, Map<string, Uint8Array>>();
  private readonly createFiles: boolean;

  constructor(options: RecordingHostOptions = {}) {
    this.createFiles = options.createFiles ?? false;
  }

  async mount(mount: Mount, target: string): Promise<void> {
    this.calls.push({ op: 'mount', mount: { ...mount, options: [...mount.options] }, target });
    this.mounted.push(target);
  }

  async unmount(target: string, options: { detach?: boolean } = {}): Promise<void> {
    this.calls.push({ op: 'unmount', target, detach: options.detach ?? false });
    const i = this.mounted.lastIndexOf(target);
    if (i >= 0) this.mounted.splice(i, 1);
  }

  async mountsUnder(prefix: string): Promise<string[]> {
    const base = prefix.replace(/\/+$/, '');
    return this.mounted
      .filter((t) => t === base || t.startsWith(`${base}/`))
      .reverse()
      .sort((a, b) => b.split('/').length - a.split('/').length);
  }

  mknod(path: string, mode: number, major: number, minor: number): void {
    this.calls.push({ op: 'mknod', path, mode, major, minor });
    if (this.createFiles) writeFileSync(path, '', { flag: 'wx', mode: mode & 0o7777 });
  }

  lsetxattr(path: string, name: string, value: Uint8Array): void {
    this.calls.push({ op: 'lsetxattr', path, name, value: Uint8Array.from(value) });
    let attrs = this.xattrs.get(path);
    if (!attrs) {
      attrs = new Map();
      this.xattrs.set(path, attrs);
    }
    attrs.set(name, Uint8Array.from(value));
  }

  lgetxattr(path: string, name: string): Uint8Array | undefined {
    return this.xattrs.get(path)?.get(name);
  }

  llistxattr(path: string): string[] {
    return [...(this.xattrs.get(path)?.keys() ?? [])];
  }

  /** The recorded calls of one kind. */
  callsOf<K extends HostCall['op']>(op: K): Extract<HostCall, { op: K }>[] {
    return this.calls.filter((c): c is Extract<HostCall, { op: K }> => c.op === op);
  }
}
