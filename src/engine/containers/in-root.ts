/**
 * A container's filesystem as the daemon reaches it from the host, with every
 * lookup confined to it: the primitive under `docker cp` (archive), `export`,
 * `diff` and `commit` (research runtime-internals §1.9, the docker cp CVEs:
 * CVE-2018-15664 symlink-exchange race, CVE-2019-14271 code loaded from the
 * container).
 *
 * Two layers keep a path inside the root:
 *
 * 1. **Resolution** (`resolve`) happens in userland, as if chrooted: a path is
 *    split into components; `..` pops a component and stops at the root; each
 *    component is looked up with lstat and a symlink is replaced by its
 *    target (absolute targets restart at the container's root, at most 255
 *    links). The result is a list of components containing no `.`/`..` and,
 *    at the time of the check, no symlinks.
 *
 * 2. **Access** never lets the kernel follow a symlink or `..` from the
 *    container: every lookup is one component relative to a directory we
 *    hold open, made through `/proc/self/fd/<dirfd>/<name>` (the kernel jumps
 *    to the held directory without re-walking any path, then looks up one
 *    name) with O_NOFOLLOW, lstat, readlink, mkdir, symlink or unlink, none
 *    of which follow a final symlink. That is openat(2) with O_NOFOLLOW,
 *    which Node lacks. The walk starts at the rootfs mount (or a mount's
 *    source) and descends one held directory at a time.
 *
 * So a container process that swaps a checked directory for a symlink
 * (`ln -s / /x` racing the copy) makes the operation fail with ELOOP or
 * ENOTDIR; it can never redirect it to a host path. No container binary runs
 * and nothing is loaded from the container (the CVE-2019-14271 class): the
 * daemon reads and writes the files itself.
 *
 * Mounts: the container's binds, volumes and /etc files live outside the
 * rootfs mount. They are described as `RootMount`s; a path at or below a
 * mount's destination is looked up from its source instead (found after
 * resolution, so symlinks inside a volume still resolve within the
 * container's root, as Docker's chrooted copy does).
 */
import { close, constants, promises as fs, fstat, open, read, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { errnoCode, invalidArgument, notFound } from '../../common/errors';

const openP = promisify(open);
const closeP = promisify(close);
const fstatP = promisify(fstat);
const readP = promisify(read);

export const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Regular files: no symlink, no blocking on a fifo swapped in after the lstat. */
export const O_FILE_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** As Linux's MAXSYMLINKS is 40; moby's FollowSymlinkInScope allows 255. */
const MAX_LINKS = 255;

/** A mount of the container that is not part of its rootfs mount. */
export interface RootMount {
  /** Absolute, clean path inside the container. */
  destination: string;
  /** Host path (directory or, for the /etc files, a regular file). Trusted: the daemon chose it. */
  source: string;
  readonly: boolean;
}

/** `/proc/self/fd/<fd>[/<name>]`: a lookup of one name relative to an open directory. */
export function at(dirFd: number, name?: string): string {
  if (name === undefined) return `/proc/self/fd/${dirFd}`;
  checkName(name);
  return `/proc/self/fd/${dirFd}/${name}`;
}

function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw invalidArgument(`invalid path component ${JSON.stringify(name)}`);
  }
}

export async function openAt(dirFd: number, name: string, flags: number, mode?: number): Promise<number> {
  return openP(at(dirFd, name), flags, mode);
}

export async function closeFd(fd: number): Promise<void> {
  await closeP(fd).catch(() => undefined);
}

/** Splits an absolute or relative container path into its components, lexically (`..` stops at the root). */
export function splitPath(p: string): string[] {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

export function joinPath(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

function isNotFound(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class ContainerRoot {
  /** Deepest destination first, so the first match is the covering mount. */
  private readonly mounts: Array<RootMount & { parts: string[] }>;

  constructor(
    /** Host path of the container's root (its rootfs mount). */
    readonly rootDir: string,
    mounts: readonly RootMount[] = [],
  ) {
    this.mounts = mounts
      .map((m) => ({ ...m, parts: splitPath(m.destination) }))
      .filter((m) => m.parts.length > 0)
      .sort((a, b) => b.parts.length - a.parts.length);
  }

  /** The mount exactly at `parts`, if any. */
  mountAt(parts: readonly string[]): RootMount | undefined {
    return this.mounts.find((m) => m.parts.length === parts.length && m.parts.every((p, i) => p === parts[i]));
  }

  /** The mount covering `parts` (deepest), or undefined for the rootfs itself. */
  coveringMount(parts: readonly string[]): RootMount | undefined {
    return this.mounts.find((m) => m.parts.length <= parts.length && m.parts.every((p, i) => p === parts[i]));
  }

  /** The host path a lookup of `parts` starts from and the components below it. */
  private anchor(parts: readonly string[]): { source: string; rest: string[] } {
    const m = this.mounts.find((x) => x.parts.length <= parts.length && x.parts.every((p, i) => p === parts[i]));
    if (m === undefined) return { source: this.rootDir, rest: [...parts] };
    return { source: m.source, rest: parts.slice(m.parts.length) };
  }

  /** Opens the directory at `parts` (which must hold no symlink). Throws ENOENT/ENOTDIR/ELOOP errors. */
  async openDir(parts: readonly string[]): Promise<number> {
    const { source, rest } = this.anchor(parts);
    let fd = await openP(source, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      for (const name of rest) {
        const next = await openAt(fd, name, O_DIR);
        await closeFd(fd);
        fd = next;
      }
      return fd;
    } catch (err) {
      await closeFd(fd);
      throw err;
    }
  }

  /**
   * Runs `fn` with the directory holding the final component of `parts` and
   * that component's name; `name` is undefined when `parts` is the root or a
   * mount point (then `dirFd` is the mount itself and `source` its host path).
   */
  async withParent<T>(
    parts: readonly string[],
    fn: (dirFd: number, name: string | undefined, source: string | undefined) => Promise<T>,
  ): Promise<T> {
    const mount = this.mountAt(parts);
    if (parts.length === 0 || mount !== undefined) {
      const source = mount?.source ?? this.rootDir;
      const st = await fs.stat(source);
      if (!st.isDirectory()) return fn(-1, undefined, source);
      const fd = await openP(source, constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        return await fn(fd, undefined, source);
      } finally {
        await closeFd(fd);
      }
    }
    const fd = await this.openDir(parts.slice(0, -1));
    try {
      return await fn(fd, parts[parts.length - 1] as string, undefined);
    } finally {
      await closeFd(fd);
    }
  }

  /** lstat of `parts`; undefined when it does not exist. */
  async lstat(parts: readonly string[]): Promise<Stats | undefined> {
    try {
      return await this.withParent(parts, async (dirFd, name, source) =>
        name === undefined ? (dirFd < 0 ? fs.stat(source as string) : fs.stat(at(dirFd))) : fs.lstat(at(dirFd, name)),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async readlink(parts: readonly string[]): Promise<string> {
    return this.withParent(parts, async (dirFd, name) => {
      if (name === undefined) throw invalidArgument(`${joinPath(parts)} is not a symbolic link`);
      return fs.readlink(at(dirFd, name));
    });
  }

  /** Reads a regular file (symlinks followed inside the root); undefined when it is missing or not a file. */
  async readFile(p: string, limit: number): Promise<string | undefined> {
    let parts: string[];
    try {
      parts = await this.resolve(p, { followFinal: true });
    } catch {
      return undefined;
    }
    return this.withParent(parts, async (dirFd, name, source) => {
      const fd =
        name === undefined
          ? await openP(source as string, constants.O_RDONLY | constants.O_NONBLOCK)
          : await openAt(dirFd, name, O_FILE_READ).catch(() => undefined);
      if (fd === undefined) return undefined;
      try {
        const st = await fstatP(fd);
        if (!st.isFile()) return undefined;
        const buf = Buffer.alloc(Math.min(st.size, limit));
        const { bytesRead } = await readP(fd, buf, 0, buf.length, 0);
        return buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await closeFd(fd);
      }
    }).catch(() => undefined);
  }

  /**
   * Resolves `p` (absolute in the container) with symlinks followed inside
   * the root. The final component is followed only with `followFinal`.
   * A missing final component is fine (the result names it); a missing
   * directory on the way is not-found.
   */
  async resolve(p: string, options: { followFinal: boolean }): Promise<string[]> {
    const pending = p.split('/').filter((c) => c !== '' && c !== '.');
    const done: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '..') {
        done.pop();
        continue;
      }
      const candidate = [...done, part];
      const st = await this.lstat(candidate);
      if (st === undefined) {
        if (pending.some((c) => c !== '..')) throw notFound(`no such file or directory: ${joinPath(candidate)}`);
        done.push(part);
        continue;
      }
      const last = pending.length === 0;
      if (st.isSymbolicLink() && (!last || options.followFinal)) {
        if (++links > MAX_LINKS) throw invalidArgument(`too many levels of symbolic links: ${p}`);
        const target = await this.readlink(candidate);
        if (target.startsWith('/')) done.length = 0;
        pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
        continue;
      }
      if (!last && !st.isDirectory()) throw notFound(`not a directory: ${joinPath(candidate)}`);
      done.push(part);
    }
    return done;
  }
}
