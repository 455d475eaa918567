/**
 * `docker cp` and `docker export` on a container's filesystem: stat a path,
 * tar a path (or the whole root), extract a tar into a directory. Every
 * lookup goes through `ContainerRoot` (in-root.ts), which explains why no
 * symlink in the container can lead outside it; this file adds the tar
 * semantics Docker's archive endpoints have (moby `daemon/archive*.go`,
 * go-archive): entries named by the path's base name, a path ending in `/.`
 * tars the directory's contents, hardlinks within one archive, extraction
 * with `noOverwriteDirNonDir` and the owner Docker picks.
 */
import {
  close,
  constants,
  fchmod,
  fchown,
  promises as fs,
  fstat,
  futimes,
  open,
  read,
  type Stats,
  write,
} from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { errnoCode, errorMessage, invalidArgument, notFound } from '../../common/errors';
import type { Host } from '../../host';
import { readTar, type TarHeader } from '../snapshots/tar-reader';
import { goFileMode, goMtime, type PathStat } from './file-mode';
import { at, type ContainerRoot, closeFd, joinPath, O_DIR, O_FILE_READ, openAt, splitPath } from './in-root';
import { encodeTarHeader, TAR_END, type TarWriteHeader, tarPadding } from './tar-writer';

const openP = promisify(open);
const closeP = promisify(close);
const fstatP = promisify(fstat);
const readP = promisify(read);
const writeP = promisify(write);
const fchownP = promisify(fchown);
const fchmodP = promisify(fchmod);
const futimesP = promisify(futimes);

const CHUNK = 256 * 1024;

/** Lexical facts about a cp path: the name Docker gives it and whether the final symlink is followed. */
export function cpPathInfo(p: string): { name: string; followFinal: boolean } {
  const followFinal = p.endsWith('/') || p.endsWith('/.') || p === '.';
  if (p.endsWith('/.') || p === '.') return { name: '.', followFinal };
  const parts = splitPath(p);
  return { name: parts.length === 0 ? '/' : (parts[parts.length - 1] as string), followFinal };
}

/** Docker's 404 for a missing cp path. */
export function fileNotFound(p: string, container: string): Error {
  return notFound(`Could not find the file ${p} in container ${container}`);
}

/** What `stat` found: the resolved components and the Docker stat. */
export interface ResolvedStat {
  parts: string[];
  stat: PathStat;
  isDir: boolean;
}

/** HEAD /archive: resolves `p` as Docker does and stats it. Undefined when it does not exist. */
export async function statInRoot(root: ContainerRoot, p: string): Promise<ResolvedStat | undefined> {
  const info = cpPathInfo(p);
  let parts: string[];
  try {
    parts = await root.resolve(p, { followFinal: info.followFinal });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    if (err instanceof Error && /^(no such file|not a directory)/.test(err.message)) return undefined;
    throw err;
  }
  const st = await root.lstat(parts);
  if (st === undefined) return undefined;
  let linkTarget = '';
  if (st.isSymbolicLink()) {
    // Docker reports the fully resolved target inside the container.
    try {
      linkTarget = joinPath(await root.resolve(joinPath(parts), { followFinal: true }));
    } catch {
      linkTarget = await root.readlink(parts);
    }
  }
  return {
    parts,
    isDir: st.isDirectory(),
    stat: { name: info.name, size: st.size, mode: goFileMode(st.mode), mtime: goMtime(st), linkTarget },
  };
}

/** Where a node is: one name in an open directory, or a trusted host path (a mount's source). */
type NodeRef = { dirFd: number; name: string } | { path: string };

function refPath(ref: NodeRef): string {
  return 'path' in ref ? ref.path : at(ref.dirFd, ref.name);
}

async function lstatRef(ref: NodeRef): Promise<Stats> {
  return 'path' in ref ? fs.stat(ref.path) : fs.lstat(at(ref.dirFd, ref.name));
}

async function openDirRef(ref: NodeRef): Promise<number> {
  return 'path' in ref
    ? openP(ref.path, constants.O_RDONLY | constants.O_DIRECTORY)
    : openAt(ref.dirFd, ref.name, O_DIR);
}

async function openFileRef(ref: NodeRef): Promise<number> {
  return 'path' in ref
    ? openP(ref.path, constants.O_RDONLY | constants.O_NONBLOCK)
    : openAt(ref.dirFd, ref.name, O_FILE_READ);
}

export interface TarTreeOptions {
  root: ContainerRoot;
  /** The resolved node to archive. */
  parts: string[];
  /** Name of the top entry in the archive ('' for none: children at the top, as export writes). */
  name: string;
  /** Descend into the container's mounts (cp does; export does not). */
  crossMounts: boolean;
  /** Paths (components from the root) left out with everything below them. */
  exclude?: (parts: readonly string[]) => boolean;
  /**
   * Write an overlay upper dir as an OCI layer: 0/0 character devices become
   * `.wh.<name>` files, opaque directories get a `.wh..wh..opq` entry.
   */
  overlay?: Pick<Host, 'lgetxattr'>;
}

export const OPAQUE_XATTR = 'trusted.overlay.opaque';
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/** Whether an lstat result is an overlay whiteout (a 0/0 character device). */
export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Whether the directory `name` in `dirFd` carries overlay's opaque mark. */
export function isOpaque(host: Pick<Host, 'lgetxattr'>, dirFd: number, name: string): boolean {
  try {
    const v = host.lgetxattr(at(dirFd, name), OPAQUE_XATTR);
    return v !== undefined && Buffer.from(v).toString() === 'y';
  } catch {
    return false;
  }
}

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
}

/** Tars a node and everything below it; chunks are produced as the consumer reads. */
export function tarTree(options: TarTreeOptions): Readable {
  return Readable.from(tarTreeChunks(options), { objectMode: false, highWaterMark: CHUNK });
}

async function* tarTreeChunks(options: TarTreeOptions): AsyncGenerator<Buffer> {
  const { root, parts } = options;
  const links = new Map<string, string>();
  const mount = root.mountAt(parts);
  if (parts.length === 0 || mount !== undefined) {
    yield* node({ path: mount?.source ?? root.rootDir }, parts, options.name);
  } else {
    const dirFd = await root.openDir(parts.slice(0, -1));
    try {
      yield* node({ dirFd, name: parts[parts.length - 1] as string }, parts, options.name);
    } finally {
      await closeFd(dirFd);
    }
  }
  yield TAR_END;

  function childName(parent: string, child: string): string {
    if (parent === '') return child;
    return parent.endsWith('/') ? `${parent}${child}` : `${parent}/${child}`;
  }

  async function* node(ref: NodeRef, vparts: string[], name: string): AsyncGenerator<Buffer> {
    let st: Stats;
    try {
      st = await lstatRef(ref);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return; // removed while we walked
      throw err;
    }
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (options.overlay && isWhiteout(st) && 'name' in ref) {
      const slash = name.lastIndexOf('/');
      const wh = `${name.slice(0, slash + 1)}${WHITEOUT_PREFIX}${name.slice(slash + 1)}`;
      yield encodeTarHeader({ ...base, mode: 0o600, name: wh, type: 'file', size: 0 });
      return;
    }
    if (st.isDirectory()) {
      const fd = await openDirRef(ref);
      try {
        if (name !== '')
          yield encodeTarHeader({ ...base, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' });
        if (options.overlay && 'name' in ref && isOpaque(options.overlay, ref.dirFd, ref.name)) {
          yield encodeTarHeader({ ...base, mode: 0o600, name: childName(name, OPAQUE_MARKER), type: 'file', size: 0 });
        }
        const children = (await fs.readdir(at(fd))).sort(byteOrder);
        for (const child of children) {
          const cparts = [...vparts, child];
          if (options.exclude?.(cparts)) continue;
          const m = options.crossMounts ? root.mountAt(cparts) : undefined;
          yield* node(m ? { path: m.source } : { dirFd: fd, name: child }, cparts, childName(name, child));
        }
      } finally {
        await closeFd(fd);
      }
      return;
    }
    if (st.isSymbolicLink()) {
      if ('path' in ref) return;
      const target = await fs.readlink(refPath(ref));
      yield encodeTarHeader({ ...base, name, type: 'symlink', linkname: target });
      return;
    }
    if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        const first = links.get(key);
        if (first !== undefined) {
          yield encodeTarHeader({ ...base, name, type: 'link', linkname: first });
          return;
        }
        links.set(key, name);
      }
      yield* fileEntry(ref, st, { ...base, name, type: 'file' });
      return;
    }
    const type = st.isCharacterDevice()
      ? 'character-device'
      : st.isBlockDevice()
        ? 'block-device'
        : st.isFIFO()
          ? 'fifo'
          : undefined;
    if (type === undefined) return; // sockets are not archived (as Go's tar)
    yield encodeTarHeader({ ...base, name, type, devmajor: major(st.rdev), devminor: minor(st.rdev) });
  }
}

async function* fileEntry(ref: NodeRef, lst: Stats, header: TarWriteHeader): AsyncGenerator<Buffer> {
  let fd: number;
  try {
    fd = await openFileRef(ref);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ELOOP') return; // replaced while we walked
    throw err;
  }
  try {
    const st = await fstatP(fd);
    // The node we opened must be the one we looked at (a racer may have swapped it).
    if (!st.isFile() || st.ino !== lst.ino || st.dev !== lst.dev) return;
    const size = st.size;
    yield encodeTarHeader({ ...header, size });
    let done = 0;
    while (done < size) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - done));
      const { bytesRead } = await readP(fd, buf, 0, buf.length, done);
      if (bytesRead === 0) {
        // The file shrank while we read it: pad, so the archive stays well-formed.
        yield Buffer.alloc(size - done);
        done = size;
        break;
      }
      done += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
    yield tarPadding(size);
  } finally {
    await closeP(fd).catch(() => undefined);
  }
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// ------------------------------------------------------------------ extract

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory and vice versa (the CLI always asks). */
  noOverwriteDirNonDir: boolean;
  /** Owner of everything extracted (Docker: the container's root, or its user with copyUIDGID). */
  owner: { uid: number; gid: number };
  /** Whether the container's rootfs (outside any mount) is read-only. */
  readonlyRootfs: boolean;
  host: Host;
}

/** Docker's 400 for writes to a read-only place. */
export function checkWritable(root: ContainerRoot, parts: readonly string[], readonlyRootfs: boolean): void {
  const mount = root.coveringMount(parts);
  if (mount === undefined ? readonlyRootfs : mount.readonly) {
    throw invalidArgument(
      mount === undefined ? 'container rootfs is marked read-only' : 'mounted volume is marked read-only',
    );
  }
}

/** Normalizes a tar entry name relative to the extraction directory; refuses escapes. */
export function entryParts(name: string): string[] {
  if (name.includes('\0')) throw invalidArgument('invalid tar: entry name contains a NUL byte');
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0)
        throw invalidArgument(`invalid tar: entry ${JSON.stringify(name)} points outside the destination`);
      out.pop();
      continue;
    }
    out.push(c);
  }
  return out;
}

/**
 * PUT /archive: extracts `tar` into the directory `destParts` (resolved, and
 * checked to be a directory by the caller). Parents missing in the container
 * are created (0755); parents that are symlinks are refused, never followed.
 */
export async function extractInto(
  root: ContainerRoot,
  destParts: string[],
  tar: AsyncIterable<Uint8Array | string>,
  options: ExtractOptions,
): Promise<void> {
  const x = new Extractor(root, destParts, options);
  let file: { fd: number; header: TarHeader } | undefined;
  try {
    for await (const ev of readTar(tar)) {
      if (ev.kind === 'data') {
        if (file) await writeAll(file.fd, ev.chunk);
        continue;
      }
      if (file) {
        await x.finishFile(file.fd, file.header);
        file = undefined;
      }
      const fd = await x.entry(ev.header);
      if (fd !== undefined) file = { fd, header: ev.header };
    }
    if (file) {
      await x.finishFile(file.fd, file.header);
      file = undefined;
    }
    await x.finish();
  } finally {
    if (file) await closeFd(file.fd);
    await x.closeCached();
  }
}

async function writeAll(fd: number, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await writeP(fd, chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

class Extractor {
  /** Directories whose mode and times are set at the end, by relative path. */
  private readonly dirMeta = new Map<string, { mode: number; mtime: number }>();
  private cached: { key: string; fd: number } | undefined;

  constructor(
    private readonly root: ContainerRoot,
    private readonly dest: string[],
    private readonly o: ExtractOptions,
  ) {}

  private vpath(rel: readonly string[]): string {
    return joinPath([...this.dest, ...rel]);
  }

  /** Opens (creating when missing) the directory `rel` below the destination. */
  private async openRelDir(rel: readonly string[], create: boolean): Promise<number> {
    const key = rel.join('/');
    if (this.cached?.key === key) return this.cached.fd;
    let fd = await this.root.openDir(this.dest);
    try {
      for (let i = 0; i < rel.length; i++) {
        const name = rel[i] as string;
        const vparts = [...this.dest, ...rel.slice(0, i + 1)];
        const mount = this.root.mountAt(vparts);
        let next: number;
        if (mount !== undefined) {
          next = await openP(mount.source, constants.O_RDONLY | constants.O_DIRECTORY);
        } else {
          try {
            next = await openAt(fd, name, O_DIR);
          } catch (err) {
            const code = errnoCode(err);
            if (code === 'ENOENT' && create) {
              checkWritable(this.root, vparts, this.o.readonlyRootfs);
              await fs.mkdir(at(fd, name), 0o755).catch((e) => {
                if (errnoCode(e) !== 'EEXIST') throw e;
              });
              await fs.lchown(at(fd, name), this.o.owner.uid, this.o.owner.gid);
              next = await openAt(fd, name, O_DIR);
            } else if (code === 'ELOOP' || code === 'ENOTDIR') {
              throw invalidArgument(
                `cannot extract into ${joinPath(vparts)}: it is not a directory (symlinks are not followed while extracting)`,
              );
            } else {
              throw err;
            }
          }
        }
        await closeFd(fd);
        fd = next;
      }
    } catch (err) {
      await closeFd(fd);
      throw err;
    }
    await this.closeCached();
    this.cached = { key, fd };
    return fd;
  }

  async closeCached(): Promise<void> {
    if (this.cached) await closeFd(this.cached.fd);
    this.cached = undefined;
  }

  /** Handles one header; returns the descriptor to write a regular file's data to. */
  async entry(h: TarHeader): Promise<number | undefined> {
    const rel = entryParts(h.name);
    if (rel.length === 0) return undefined; // the destination itself: left as it is (go-archive)
    const base = rel[rel.length - 1] as string;
    if (base.startsWith('.wh.')) return undefined; // whiteouts mean nothing in a live directory
    const vparts = [...this.dest, ...rel];
    if (this.root.mountAt(vparts) !== undefined) {
      // A mount point stays: only its contents can change.
      if (h.type === 'directory') return undefined;
      throw invalidArgument(`cannot overwrite mount point ${this.vpath(rel)}`);
    }
    checkWritable(this.root, vparts, this.o.readonlyRootfs);
    const dirFd = await this.openRelDir(rel.slice(0, -1), true);
    const target = at(dirFd, base);
    const existing = await fs.lstat(target).catch((err) => {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    });
    const isDir = h.type === 'directory';
    if (existing !== undefined) {
      if (this.o.noOverwriteDirNonDir && existing.isDirectory() && !isDir) {
        throw invalidArgument(`cannot overwrite directory "${this.vpath(rel)}" with non-directory "${h.name}"`);
      }
      if (this.o.noOverwriteDirNonDir && !existing.isDirectory() && isDir) {
        throw invalidArgument(`cannot overwrite non-directory "${this.vpath(rel)}" with directory "${h.name}"`);
      }
      if (!(existing.isDirectory() && isDir)) {
        if (existing.isDirectory()) await removeTree(dirFd, base);
        else await fs.unlink(target);
        if (this.cached && this.cached.key.split('/').slice(0, rel.length).join('/') === rel.join('/')) {
          await this.closeCached();
        }
      }
    }
    const { uid, gid } = this.o.owner;
    switch (h.type) {
      case 'directory': {
        if (!(existing?.isDirectory() ?? false)) await fs.mkdir(target, 0o700);
        await fs.lchown(target, uid, gid);
        this.dirMeta.set(rel.join('/'), { mode: h.mode, mtime: h.mtime });
        return undefined;
      }
      case 'file': {
        const fd = await openP(
          target,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          h.mode & 0o777,
        );
        return fd;
      }
      case 'symlink':
        await fs.symlink(h.linkname, target);
        await fs.lchown(target, uid, gid);
        await fs.lutimes(target, h.mtime, h.mtime);
        return undefined;
      case 'link': {
        const linkRel = entryParts(h.linkname);
        if (linkRel.length === 0)
          throw invalidArgument(`invalid tar: hardlink ${JSON.stringify(h.name)} to the destination`);
        const tdir = await this.root.openDir([...this.dest, ...linkRel.slice(0, -1)]).catch((err) => {
          throw invalidArgument(`invalid tar: hardlink target ${JSON.stringify(h.linkname)}: ${errorMessage(err)}`);
        });
        try {
          await fs.link(at(tdir, linkRel[linkRel.length - 1] as string), target);
        } finally {
          await closeFd(tdir);
        }
        return undefined;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        const kind =
          h.type === 'fifo' ? constants.S_IFIFO : h.type === 'block-device' ? constants.S_IFBLK : constants.S_IFCHR;
        // The mode goes with mknod: a chmod by path could follow a symlink swapped in afterwards.
        this.o.host.mknod(target, kind | (h.mode & 0o777), h.devmajor, h.devminor);
        await fs.lchown(target, uid, gid);
        return undefined;
      }
    }
  }

  /** Owner, mode and times of a regular file, through its descriptor; closes it. */
  async finishFile(fd: number, h: TarHeader): Promise<void> {
    try {
      // chown first: it clears setuid/setgid bits, which the chmod then sets.
      await fchownP(fd, this.o.owner.uid, this.o.owner.gid);
      await fchmodP(fd, h.mode & 0o7777);
      await futimesP(fd, h.mtime, h.mtime);
    } finally {
      await closeP(fd).catch(() => undefined);
    }
  }

  /** Directory modes and times, once their contents are written (deepest first). */
  async finish(): Promise<void> {
    await this.closeCached();
    const entries = [...this.dirMeta].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    for (const [rel, meta] of entries) {
      const fd = await this.root.openDir([...this.dest, ...rel.split('/')]).catch(() => undefined);
      if (fd === undefined) continue;
      try {
        await fchmodP(fd, meta.mode & 0o7777);
        await futimesP(fd, meta.mtime, meta.mtime);
      } finally {
        await closeFd(fd);
      }
    }
  }
}

/** Removes `name` in `dirFd` and everything below it, never following a symlink. */
export async function removeTree(dirFd: number, name: string): Promise<void> {
  let fd: number;
  try {
    fd = await openAt(dirFd, name, O_DIR);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOTDIR' || code === 'ELOOP') {
      await fs.unlink(at(dirFd, name));
      return;
    }
    if (code === 'ENOENT') return;
    throw err;
  }
  try {
    for (const child of await fs.readdir(at(fd))) {
      const st = await fs.lstat(at(fd, child));
      if (st.isDirectory()) await removeTree(fd, child);
      else await fs.unlink(at(fd, child));
    }
  } finally {
    await closeFd(fd);
  }
  await fs.rmdir(at(dirFd, name));
}
