/**
 * Copying a directory tree the way Docker fills a new volume from the image
 * (its copy-up): regular files, directories, symlinks, fifos and device
 * nodes, keeping modes (setuid included), owners, times and xattrs, and
 * hardlinks within the tree as hardlinks. Sockets are skipped. The root
 * directory itself takes the source root's owner, mode and times.
 */
import type { BigIntStats } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../common/errors';
import type { Host } from '../../host';

/** Linux's `major()`/`minor()` of a dev_t. */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

export interface CopyTreeOptions {
  /** For device nodes, fifos and xattrs. Without it those are skipped. */
  host?: Host;
}

/** Copies the content of `src` into the existing directory `dst`. */
export async function copyTree(src: string, dst: string, options: CopyTreeOptions = {}): Promise<void> {
  const links = new Map<string, string>(); // "dev:ino" of multiply-linked files → first copy
  const dirs: Array<{ dst: string; st: BigIntStats }> = [];
  const rootStat = await fs.lstat(src, { bigint: true });
  if (!rootStat.isDirectory()) throw new Error(`copy-up source is not a directory: ${src}`);
  await copyChildren(src, dst, options, links, dirs);
  // Directory metadata last: writing entries changes mtimes, and a read-only
  // directory mode would stop the copy.
  for (const d of dirs.reverse()) await applyMeta(d.dst, d.st, false, options.host, undefined);
  await applyMeta(dst, rootStat, false, options.host, src);
}

async function copyChildren(
  src: string,
  dst: string,
  options: CopyTreeOptions,
  links: Map<string, string>,
  dirs: Array<{ dst: string; st: BigIntStats }>,
): Promise<void> {
  const names = await fs.readdir(src);
  names.sort();
  for (const name of names) {
    const s = path.join(src, name);
    const d = path.join(dst, name);
    const st = await fs.lstat(s, { bigint: true });
    if (st.isDirectory()) {
      await fs.mkdir(d, { mode: 0o700 });
      await copyChildren(s, d, options, links, dirs);
      dirs.push({ dst: d, st });
      await copyXattrs(s, d, options.host);
      continue;
    }
    if (!st.isSymbolicLink() && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        await fs.link(first, d);
        continue;
      }
      links.set(key, d);
    }
    if (st.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(s), d);
    } else if (st.isFile()) {
      await fs.copyFile(s, d);
    } else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
      if (options.host === undefined) continue;
      const mode = Number(st.mode);
      const kind = mode & S_IFMT;
      if (kind !== S_IFCHR && kind !== S_IFBLK && kind !== S_IFIFO) continue;
      options.host.mknod(d, mode, devMajor(st.rdev), devMinor(st.rdev));
    } else {
      continue; // sockets and anything else: skipped, as Docker's copy does
    }
    await applyMeta(d, st, st.isSymbolicLink(), options.host, s);
  }
}

async function applyMeta(
  dst: string,
  st: BigIntStats,
  symlink: boolean,
  host: Host | undefined,
  xattrSource: string | undefined,
): Promise<void> {
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  try {
    await fs.lchown(dst, uid, gid);
  } catch (err) {
    // Without CAP_CHOWN, a copy keeps the caller's ownership (unit tests as non-root).
    if (errnoCode(err) !== 'EPERM') throw err;
  }
  // chown clears setuid/setgid, so the mode comes after it. Symlinks have no mode of their own.
  if (!symlink) await fs.chmod(dst, Number(st.mode) & 0o7777);
  if (xattrSource !== undefined) await copyXattrs(xattrSource, dst, host);
  const atime = Number(st.atimeNs) / 1e9;
  const mtime = Number(st.mtimeNs) / 1e9;
  await fs.lutimes(dst, atime, mtime);
}

async function copyXattrs(src: string, dst: string, host: Host | undefined): Promise<void> {
  if (host === undefined) return;
  let names: string[];
  try {
    names = host.llistxattr(src);
  } catch (err) {
    if (ignorableXattrError(err)) return;
    throw err;
  }
  for (const name of names) {
    try {
      const value = host.lgetxattr(src, name);
      if (value !== undefined) host.lsetxattr(dst, name, value);
    } catch (err) {
      if (!ignorableXattrError(err)) throw err;
    }
  }
}

function ignorableXattrError(err: unknown): boolean {
  const code = errnoCode(err);
  // Docker ignores ENOTSUP; EPERM covers trusted.* / security.* without privilege.
  return code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EPERM';
}

/**
 * Bytes used under `dir` as Docker's directory.Size counts them: the sizes of
 * everything but directories, each hardlinked inode once. Does not follow
 * symlinks or cross into other filesystems.
 */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<string>();
  const rootDev = (await fs.lstat(dir, { bigint: true })).dev;
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await fs.readdir(d);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const p = path.join(d, name);
      let st: BigIntStats;
      try {
        st = await fs.lstat(p, { bigint: true });
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      if (st.isDirectory()) {
        if (st.dev === rootDev) await walk(p);
        continue;
      }
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += Number(st.size);
    }
  };
  await walk(dir);
  return total;
}
