/**
 * Extracts an uncompressed OCI layer tar into a layer directory in overlay's
 * on-disk format (research runtime-internals §4.3): `.wh.NAME` becomes a 0/0
 * character device NAME, `.wh..wh..opq` becomes `trusted.overlay.opaque=y`
 * on its directory, everything else is written as in the tar with owners,
 * modes (setuid/setgid/sticky included), mtimes and xattrs.
 *
 * Path safety (the tar-breakout CVE class): every entry name is normalized
 * lexically (leading `/` and `./` dropped, `.` removed, `..` applied) and
 * refused if it leaves the root. Parent directories are looked up in a table
 * of directories this extraction made; a parent that exists but is not one of
 * them (a symlink or a file an earlier entry created) makes the entry refused
 * with invalid-argument: we never resolve through a symlink, not even one that
 * stays inside the root. Legitimate layers never need it (Docker's own tars
 * list real parent directories). Hardlink targets are checked the same way and
 * must already exist in this layer. Final components are created with
 * O_EXCL/O_NOFOLLOW, mkdir, symlink, link or mknod, none of which follow a
 * final symlink. The directory is private to the extraction (a fresh temp
 * dir), so no other process races these checks.
 *
 * Replacement follows Docker: an entry of any type replaces whatever was at
 * its path, except that a directory over a directory merges.
 */
import {
  constants,
  fchmod,
  fchown,
  promises as fs,
  close as fsClose,
  open as fsOpen,
  futimes,
  readFileSync,
  statSync,
  unlink,
  writev,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode, invalidArgument } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { Host } from '../../host';
import { readTar, type TarHeader, type TarSource } from './tar-reader';

export interface ApplyLayerOptions {
  /**
   * Set owners from the tar (lchown). Default: when running as root. Without
   * it every file belongs to the caller, as with `tar --no-same-owner`.
   */
  sameOwner?: boolean;
  logger?: Logger;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Files up to this size are buffered whole and written by background tasks
 * while the tar is read on (file creation, not data, dominates small-file
 * layers); bigger files stream to disk in order.
 */
const SMALL_FILE = 1 << 20;
/** Bounds on background file writes: tasks in flight and bytes they hold. */
const MAX_TASKS = 16;
const MAX_TASK_BYTES = 64 << 20;

// The callback API through promisify: much cheaper per call than FileHandle.
const openP = promisify(fsOpen);
const writevP = promisify(writev);
const fchownP = promisify(fchown);
const fchmodP = promisify(fchmod);
const futimesP = promisify(futimes);
const closeP = promisify(fsClose);
const unlinkP = promisify(unlink);

/**
 * Normalizes a tar entry name to a path relative to the layer root ('' for
 * the root itself): leading slashes and `.` components go, `..` is applied
 * lexically and refused if it would leave the root.
 */
export function normalizeEntryPath(name: string, what = 'entry'): string {
  if (name.includes('\0')) throw invalidArgument(`invalid layer tar: ${what} name contains a NUL byte`);
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) {
        throw invalidArgument(`invalid layer tar: ${what} ${JSON.stringify(name)} points outside the layer root`, {
          code: 'layer-path-escape',
        });
      }
      parts.pop();
      continue;
    }
    parts.push(c);
  }
  return parts.join('/');
}

interface DirMeta {
  mode: number;
  mtime: number;
  atime: number;
}

/** A regular file being read from the tar. */
interface OpenFile {
  header: TarHeader;
  rel: string;
  /** Small files: the data so far, written by a background task once complete. */
  chunks: Buffer[];
  /** Large files: the descriptor the data streams into. */
  fd: number | undefined;
}

/**
 * Extracts the tar `layer` into `dir` (which exists) and returns the layer's
 * size as Docker reports it: the sum of its regular files' sizes plus its
 * symlinks' target lengths (what a walk of the layer with lstat adds up). On error
 * the directory is left partly written; the caller removes it.
 */
export async function applyLayer(
  dir: string,
  layer: TarSource,
  host: Host,
  options: ApplyLayerOptions = {},
): Promise<number> {
  const x = new Extraction(path.resolve(dir), host, options);
  let open: OpenFile | undefined;
  try {
    for await (const ev of readTar(layer)) {
      if (ev.kind === 'data') {
        // Only regular files have data events, and `open` is always set for them.
        if (open!.fd === undefined) open!.chunks.push(ev.chunk);
        else await writeAll(open!.fd, [ev.chunk]);
        continue;
      }
      if (open) {
        const f = open;
        open = undefined;
        await x.finishFile(f);
      }
      open = await x.entry(ev.header);
    }
    if (open) {
      const f = open;
      open = undefined;
      await x.finishFile(f);
    }
    await x.finish();
  } finally {
    if (open?.fd !== undefined) await closeP(open.fd).catch(() => {});
    // Never return (even with an error) while background writes still run.
    await x.settleAll().catch(() => {});
  }
  return x.size;
}

async function writeAll(fd: number, chunks: Buffer[]): Promise<void> {
  let total = 0;
  for (const c of chunks) total += c.length;
  let written = (await writevP(fd, chunks)).bytesWritten;
  while (written < total) {
    // A short write (rare on regular files): continue from where it stopped.
    const rest = Buffer.concat(chunks).subarray(written);
    chunks = [rest];
    total = rest.length;
    written = (await writevP(fd, chunks)).bytesWritten;
  }
}

class Extraction {
  size = 0;
  /** Real directories this extraction made or met, by relative path ('' is the root). */
  private readonly dirs = new Map<string, DirMeta | undefined>([['', undefined]]);
  /** Paths that hold a whiteout made by this layer. */
  private readonly whiteouts = new Set<string>();
  private readonly sameOwner: boolean;
  /** The process umask, to know when a file's creation mode is already right (undefined: unknown). */
  private readonly umask: number | undefined;
  private readonly rootSetgid: boolean;
  private readonly euid = process.geteuid?.() ?? -1;
  private readonly egid = process.getegid?.() ?? -1;
  private readonly skippedXattrs = new Set<string>();
  /** Background writes of small files, by path. */
  private readonly pending = new Map<string, Promise<void>>();
  private pendingBytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly root: string,
    private readonly host: Host,
    private readonly options: ApplyLayerOptions,
  ) {
    this.sameOwner = options.sameOwner ?? process.getuid?.() === 0;
    this.umask = currentUmask();
    this.rootSetgid = (statSync(root).mode & 0o2000) !== 0;
  }

  private full(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** Handles one header; returns the open file when the entry is a regular file. */
  async entry(h: TarHeader): Promise<OpenFile | undefined> {
    const rel = normalizeEntryPath(h.name);
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    const base = slash < 0 ? rel : rel.slice(slash + 1);
    if (this.failure) throw this.failure.error;
    await this.settle(rel);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      await this.whiteout(h, parent, base);
      return undefined;
    }
    if (rel === '') {
      if (h.type !== 'directory') throw invalidArgument(`invalid layer tar: ${h.type} entry for the layer root`);
      await this.directory(h, rel);
      return undefined;
    }
    await this.ensureDir(parent, h.name);
    switch (h.type) {
      case 'directory':
        await this.directory(h, rel);
        return undefined;
      case 'file':
        return this.file(h, rel);
      case 'symlink':
        await this.replacing(rel, () => fs.symlink(h.linkname, this.full(rel)));
        // Docker sizes a layer by walking it: a symlink counts as its lstat size, the target's length.
        this.size += Buffer.byteLength(h.linkname);
        await this.attributes(h, rel, { chmod: false });
        return undefined;
      case 'link':
        await this.hardlink(h, rel);
        return undefined;
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        const kind = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
        await this.replacing(rel, async () =>
          this.host.mknod(this.full(rel), kind | (h.mode & 0o777), h.devmajor, h.devminor),
        );
        await this.attributes(h, rel, { chmod: true });
        return undefined;
      }
    }
  }

  private async whiteout(h: TarHeader, parent: string, base: string): Promise<void> {
    if (base === OPAQUE_WHITEOUT) {
      await this.ensureDir(parent, h.name);
      this.host.lsetxattr(this.full(parent), OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // AUFS metadata (.wh..wh.plnk): skip
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') {
      throw invalidArgument(`invalid layer tar: invalid whiteout entry ${JSON.stringify(h.name)}`);
    }
    await this.ensureDir(parent, h.name);
    const rel = parent === '' ? name : `${parent}/${name}`;
    await this.removeExisting(rel);
    this.host.mknod(this.full(rel), S_IFCHR, 0, 0);
    if (this.sameOwner) await fs.lchown(this.full(rel), h.uid, h.gid);
    this.whiteouts.add(rel);
  }

  private async directory(h: TarHeader, rel: string): Promise<void> {
    if (!this.dirs.has(rel)) {
      const overWhiteout = this.whiteouts.has(rel);
      await this.replacing(rel, () => fs.mkdir(this.full(rel), 0o755));
      // A directory over a whiteout of this layer replaces the lower directory
      // rather than merging with it: make it opaque.
      if (overWhiteout) this.host.lsetxattr(this.full(rel), OPAQUE_XATTR, Buffer.from('y'));
    }
    // Mode and times are applied once the directory's contents are written.
    this.dirs.set(rel, { mode: h.mode, mtime: h.mtime, atime: h.atime ?? h.mtime });
    if (this.sameOwner) await fs.lchown(this.full(rel), h.uid, h.gid);
    this.xattrs(h, rel);
  }

  private async file(h: TarHeader, rel: string): Promise<OpenFile> {
    this.size += h.size;
    this.whiteouts.delete(rel);
    if (this.dirs.has(rel)) await this.removeExisting(rel); // a file over a directory
    const f: OpenFile = { header: h, rel, chunks: [], fd: undefined };
    if (h.size > SMALL_FILE) f.fd = await this.create(rel, h.mode);
    return f;
  }

  /**
   * Creates `rel` as a new empty regular file and returns its descriptor.
   * Whatever non-directory is there is replaced (directories were removed by
   * the caller; every directory of this extraction is in `dirs`).
   */
  private async create(rel: string, mode: number): Promise<number> {
    const p = this.full(rel);
    // Created with its final permission bits, so that usually no fchmod is needed.
    try {
      return await openP(p, CREATE_FILE, mode & 0o777);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      await unlinkP(p);
      return await openP(p, CREATE_FILE, mode & 0o777);
    }
  }

  /** Completes a regular file: large ones now, small ones in a background task. */
  async finishFile(f: OpenFile): Promise<void> {
    if (f.fd !== undefined) {
      const fd = f.fd;
      f.fd = undefined;
      await this.completeFile(fd, f.header, f.rel);
      return;
    }
    while (this.pending.size >= MAX_TASKS || (this.pendingBytes >= MAX_TASK_BYTES && this.pending.size > 0)) {
      await Promise.race(this.pending.values());
    }
    if (this.failure) throw this.failure.error;
    const bytes = f.header.size;
    this.pendingBytes += bytes;
    const task = (async () => {
      const fd = await this.create(f.rel, f.header.mode);
      if (bytes > 0) {
        try {
          await writeAll(fd, f.chunks);
        } catch (err) {
          await closeP(fd).catch(() => {});
          throw err;
        }
      }
      await this.completeFile(fd, f.header, f.rel);
    })()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.pendingBytes -= bytes;
        this.pending.delete(f.rel);
      });
    this.pending.set(f.rel, task);
  }

  /**
   * Owner, mode, xattrs, times, in that order (chown clears setuid and file
   * capabilities); closes `fd`. Calls that would change nothing are skipped:
   * a new file already belongs to us (every directory keeps mode 0755 until
   * finish(), so none is setgid yet) and already has its mode unless the
   * umask took bits away or special bits are wanted.
   */
  private async completeFile(fd: number, h: TarHeader, rel: string): Promise<void> {
    try {
      if (this.sameOwner && (h.uid !== this.euid || h.gid !== this.egid || this.rootSetgid)) {
        await fchownP(fd, h.uid, h.gid);
      }
      if ((h.mode & 0o7000) !== 0 || this.umask === undefined || (h.mode & this.umask) !== 0) {
        await fchmodP(fd, h.mode);
      }
      this.xattrs(h, rel);
      await futimesP(fd, h.atime ?? h.mtime, h.mtime);
    } finally {
      await closeP(fd);
    }
  }

  /** Waits for the background write of `rel`, if any. */
  private async settle(rel: string): Promise<void> {
    const task = this.pending.get(rel);
    if (task) await task;
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every background write; throws the first failure. */
  async settleAll(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending.values());
    if (this.failure) throw this.failure.error;
  }

  private async hardlink(h: TarHeader, rel: string): Promise<void> {
    const target = normalizeEntryPath(h.linkname, 'hardlink target');
    if (target === '' || this.dirs.has(target)) {
      throw invalidArgument(`invalid layer tar: hardlink ${JSON.stringify(h.name)} points to a directory`);
    }
    if (target === rel) return;
    await this.settle(target);
    const slash = target.lastIndexOf('/');
    const targetParent = slash < 0 ? '' : target.slice(0, slash);
    if (!this.dirs.has(targetParent)) {
      await this.refuseParent(
        targetParent,
        h.name,
        `hardlink target ${JSON.stringify(h.linkname)} not found in this layer`,
      );
    }
    try {
      await this.replacing(rel, () => fs.link(this.full(target), this.full(rel)));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        throw invalidArgument(
          `invalid layer tar: hardlink ${JSON.stringify(h.name)}: target ${JSON.stringify(h.linkname)} not found in this layer`,
        );
      }
      throw err;
    }
  }

  /** Chown (no-follow), optional chmod, xattrs and times of a non-file, non-dir entry. */
  private async attributes(h: TarHeader, rel: string, o: { chmod: boolean }): Promise<void> {
    const p = this.full(rel);
    if (this.sameOwner) await fs.lchown(p, h.uid, h.gid);
    // chmod follows symlinks: only called for nodes we just made with mknod.
    if (o.chmod) await fs.chmod(p, h.mode);
    this.xattrs(h, rel);
    await fs.lutimes(p, h.atime ?? h.mtime, h.mtime);
  }

  private xattrs(h: TarHeader, rel: string): void {
    for (const [name, value] of h.xattrs) {
      // Overlay's own attributes come from whiteouts only; a layer may not forge
      // redirects or metacopy records.
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) {
        this.skip(name, 'reserved for overlayfs');
        continue;
      }
      try {
        this.host.lsetxattr(this.full(rel), name, value);
      } catch (err) {
        const code = errnoCode(err);
        // As Docker: a filesystem without xattrs, or no privilege for the namespace, is not fatal.
        if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EPERM') {
          this.skip(name, code);
          continue;
        }
        throw err;
      }
    }
  }

  private skip(name: string, why: string): void {
    if (this.skippedXattrs.has(name)) return;
    this.skippedXattrs.add(name);
    this.options.logger?.warn('layer xattr ignored', { xattr: name, reason: why });
  }

  /**
   * Runs `create` for `rel`; if something is already there (never a known
   * directory being merged: callers skip those), removes it and tries again.
   */
  private async replacing(rel: string, create: () => Promise<unknown>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      await this.removeExisting(rel);
      await create();
    }
    this.whiteouts.delete(rel);
  }

  private async removeExisting(rel: string): Promise<void> {
    // A directory may hold files still being written: let them land first.
    if (this.dirs.has(rel)) await this.settleAll();
    else await this.settle(rel);
    await fs.rm(this.full(rel), { recursive: true, force: true });
    this.whiteouts.delete(rel);
    if (this.dirs.delete(rel)) {
      const prefix = `${rel}/`;
      for (const k of this.dirs.keys()) if (k.startsWith(prefix)) this.dirs.delete(k);
    }
  }

  /** Makes sure `rel` is a real directory of this extraction, creating missing ones (0755). */
  private async ensureDir(rel: string, entryName: string): Promise<void> {
    if (this.dirs.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    await this.ensureDir(slash < 0 ? '' : rel.slice(0, slash), entryName);
    await this.settle(rel); // a file being written there makes the mkdir below fail, as it should
    try {
      await fs.mkdir(this.full(rel), 0o755);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      await this.refuseParent(rel, entryName, 'its parent is not a directory');
    }
    this.dirs.set(rel, undefined);
  }

  /** Throws the right refusal for a parent path `rel` that is not a known directory. */
  private async refuseParent(rel: string, entryName: string, otherwise: string): Promise<never> {
    // Find the first component that is not a known directory, and say what it is.
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.dirs.has(prefix)) continue;
      const st = await fs.lstat(this.full(prefix)).catch(() => undefined);
      if (st?.isSymbolicLink()) {
        throw invalidArgument(
          `invalid layer tar: ${JSON.stringify(entryName)} goes through the symlink ${JSON.stringify(prefix)}; refusing to follow symlinks inside a layer`,
          { code: 'layer-path-escape' },
        );
      }
      if (st && !st.isDirectory()) {
        throw invalidArgument(
          `invalid layer tar: ${JSON.stringify(entryName)}: ${JSON.stringify(prefix)} is not a directory`,
        );
      }
      break;
    }
    throw invalidArgument(`invalid layer tar: ${JSON.stringify(entryName)}: ${otherwise}`);
  }

  /** Applies directory modes and times, after all their contents are written. */
  async finish(): Promise<void> {
    await this.settleAll();
    for (const [rel, meta] of this.dirs) {
      if (!meta) continue;
      const p = this.full(rel);
      await fs.chmod(p, meta.mode);
      await fs.utimes(p, meta.atime, meta.mtime);
    }
  }
}

/** The process umask from /proc/self/status (process.umask() without arguments is deprecated). */
function currentUmask(): number | undefined {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 8);
  } catch {
    return undefined;
  }
}
