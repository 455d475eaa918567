/**
 * `cp`: copies between a container and the local filesystem as the docker CLI
 * does (cli `container/cp.go`, go-archive `copy.go`): the daemon speaks tar
 * (GET/PUT archive); deciding what the copy means (into a directory, onto a
 * file, a new name) happens here, by naming the archive's top entry.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import {
  type ContainerPathStat,
  copyFromContainer,
  copyToContainer,
  GO_MODE_DIR,
  GO_MODE_SYMLINK,
  statContainerPath,
} from '../../client';
import { type CliContext, CliExit, command } from '../command';
import { humanSize } from '../render/units';

/** docker's splitCpArg: `CONTAINER:PATH`, unless the argument is clearly local. */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

function isDirMode(mode: number): boolean {
  return Math.floor(mode / GO_MODE_DIR) % 2 === 1;
}
function isSymlinkMode(mode: number): boolean {
  return Math.floor(mode / GO_MODE_SYMLINK) % 2 === 1;
}

/** Whether a path says "directory": a trailing separator or `/.`. */
function assertsDirectory(p: string): boolean {
  return p.endsWith('/') || p.endsWith('/.') || p === '.';
}

/** go-archive SplitPathDirEntry: the parent and the base, keeping a final `.`. */
export function splitPathDirEntry(p: string): { dir: string; base: string } {
  let clean = p;
  if (clean.endsWith('/.')) return { dir: clean.slice(0, -2) || '/', base: '.' };
  while (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  if (clean === '/') return { dir: '/', base: '/' };
  return { dir: path.posix.dirname(clean), base: path.posix.basename(clean) };
}

/** Renames the top entry `oldBase` of an archive entry name to `newBase`. */
export function rebaseEntry(name: string, oldBase: string, newBase: string): string {
  if (oldBase === '/') {
    const rest = name.replace(/^\/+/, '');
    return rest === '' ? `${newBase}/` : `${newBase}/${rest}`;
  }
  const stripped = name.replace(/^\.\//, oldBase === '.' ? './' : '');
  if (stripped === oldBase || stripped === `${oldBase}/`) return `${newBase}${stripped.endsWith('/') ? '/' : ''}`;
  if (stripped.startsWith(`${oldBase}/`)) return `${newBase}${stripped.slice(oldBase.length)}`;
  return name;
}

function resolveLocal(p: string): string {
  const abs = path.resolve(p);
  if (p.endsWith('/.')) return `${abs}/.`;
  if (p.endsWith('/') && abs !== '/') return `${abs}/`;
  return abs;
}

interface LocalInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  rebaseName: string;
}

export const cpCommand = command(
  {
    name: 'cp',
    aliases: ['container cp'],
    usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files/folders between a container and the local filesystem',
    minArgs: 2,
    maxArgs: 2,
    flags: [
      { name: 'archive', short: 'a', kind: 'bool', help: 'Archive mode (copy all uid/gid information)' },
      { name: 'follow-link', short: 'L', kind: 'bool', help: 'Always follow symbol link in SRC_PATH' },
      {
        name: 'quiet',
        short: 'q',
        kind: 'bool',
        help: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
      },
    ],
  },
  async (ctx, { flags, args }) => {
    const [source = '', destination = ''] = args;
    if (source === '') throw new CliExit('source can not be empty');
    if (destination === '') throw new CliExit('destination can not be empty');
    const src = splitCpArg(source);
    const dst = splitCpArg(destination);
    const quiet = flags.quiet || !ctx.stdout.isTTY;
    if (src.container !== '' && dst.container !== '') throw new CliExit('copying between containers is not supported');
    if (src.container !== '') {
      await fromContainer(ctx, src.container, src.path, dst.path, { followLink: flags['follow-link'], quiet });
    } else if (dst.container !== '') {
      await toContainer(ctx, src.path, dst.container, dst.path, {
        followLink: flags['follow-link'],
        copyUIDGID: flags.archive,
        quiet,
      });
    } else {
      throw new CliExit('must specify at least one container source');
    }
    return 0;
  },
);

// ------------------------------------------------------------ from container

async function fromContainer(
  ctx: CliContext,
  container: string,
  srcPathIn: string,
  dstIn: string,
  o: { followLink: boolean; quiet: boolean },
): Promise<void> {
  const client = ctx.client();
  const dstPath = dstIn === '-' ? '-' : resolveLocal(dstIn);
  if (dstPath !== '-') await validateOutputPath(dstPath);
  let srcPath = srcPathIn;
  let rebaseName = '';
  if (o.followLink) {
    const st = await statContainerPath(client, container, srcPath).catch(() => undefined);
    if (st !== undefined && isSymlinkMode(st.mode)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = path.posix.join(splitPathDirEntry(srcPath).dir, target);
      rebaseName = splitPathDirEntry(srcPath).base;
      srcPath = target;
    }
  }
  const { stat, content } = await copyFromContainer(client, container, srcPath);
  if (dstPath === '-') {
    await pipeline(content, ctx.stdout, { end: false });
    return;
  }
  let copied = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      copied += chunk.length;
      cb(null, chunk);
    },
  });
  content.on('error', (err) => counted.destroy(err));
  content.pipe(counted);
  await copyTo(counted, { path: srcPath, exists: true, isDir: isDirMode(stat.mode), rebaseName }, dstPath);
  if (!o.quiet) {
    const size = isDirMode(stat.mode) ? copied : stat.size;
    ctx.stderr.write(`Successfully copied ${humanSize(size)} to ${dstPath}\n`);
  }
}

/** docker's ValidateOutputPath. */
async function validateOutputPath(p: string): Promise<void> {
  const dir = path.dirname(path.resolve(p));
  if (!(await exists(dir))) throw new CliExit(`invalid output path: directory "${dir}" does not exist`);
  const st = await fs.stat(p).catch(() => undefined);
  if (st !== undefined && !st.isDirectory() && !st.isFile()) {
    throw new CliExit(`invalid output path: "${p}" must be a directory or a regular file: got a special file`);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** go-archive CopyInfoDestinationPath: a local destination, symlinks followed. */
async function localDestination(p: string): Promise<LocalInfo> {
  let current = p;
  for (let i = 0; i < 32; i++) {
    const st = await fs.lstat(current).catch(() => undefined);
    if (st === undefined) {
      const parent = path.dirname(current.replace(/\/+\.?$/, '') || '/');
      if (!(await exists(parent))) throw new CliExit(`stat ${parent}: no such file or directory`);
      return { path: current, exists: false, isDir: false, rebaseName: '' };
    }
    if (!st.isSymbolicLink()) return { path: current, exists: true, isDir: st.isDirectory(), rebaseName: '' };
    const target = await fs.readlink(current);
    current = path.isAbsolute(target) ? target : path.join(path.dirname(current), target);
  }
  throw new CliExit(`too many symlinks in ${p}`);
}

/** go-archive PrepareArchiveCopy: the directory to extract into and the name the top entry must take. */
function prepareCopy(
  src: LocalInfo,
  dst: LocalInfo,
): { dstDir: string; rebase: { from: string; to: string } | undefined } {
  const { dir: dstDir, base: dstBase } = splitPathDirEntry(dst.path);
  const srcBase = splitPathDirEntry(src.path).base;
  const from = srcBase;
  const renamed = src.rebaseName !== '' ? src.rebaseName : srcBase;
  if (dst.exists && dst.isDir) {
    return { dstDir: dst.path, rebase: src.rebaseName !== '' ? { from, to: src.rebaseName } : undefined };
  }
  if (dst.exists && src.isDir) throw new CliExit('cannot copy directory');
  if (dst.exists) return { dstDir, rebase: { from, to: dstBase } };
  if (src.isDir) return { dstDir, rebase: { from, to: dstBase } };
  if (assertsDirectory(dst.path)) throw new CliExit('no such directory');
  void renamed;
  return { dstDir, rebase: { from, to: dstBase } };
}

/** go-archive CopyTo: extracts a container's archive at a local destination. */
async function copyTo(content: Readable, src: LocalInfo, dstPath: string): Promise<void> {
  const dst = await localDestination(dstPath);
  const { dstDir, rebase } = prepareCopy(src, dst);
  await untarLocal(content, dstDir, rebase);
}

/** Extracts into a local directory: no entry may leave it, parents are never symlinks, no chown (NoLchown). */
async function untarLocal(
  content: Readable,
  dir: string,
  rebase: { from: string; to: string } | undefined,
): Promise<void> {
  const extract = tar.extract();
  const dirTimes: Array<{ p: string; mode: number; mtime: Date }> = [];
  const root = path.resolve(dir);
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const name = rebase ? rebaseEntry(h.name, rebase.from, rebase.to) : h.name;
      const rel = safeRelative(name);
      if (rel === '') {
        entry.resume();
        continue;
      }
      const target = path.join(root, rel);
      await ensureParents(root, rel);
      const existing = await fs.lstat(target).catch(() => undefined);
      const isDir = h.type === 'directory';
      if (existing?.isDirectory() && !isDir) {
        throw new CliExit(`cannot overwrite directory "${target}" with non-directory "${h.name}"`);
      }
      if (existing && !existing.isDirectory() && isDir) {
        throw new CliExit(`cannot overwrite non-directory "${target}" with directory "${h.name}"`);
      }
      if (existing && !existing.isDirectory()) await fs.unlink(target);
      const mtime = h.mtime ?? new Date();
      switch (h.type) {
        case 'directory':
          if (!existing) await fs.mkdir(target, 0o755);
          dirTimes.push({ p: target, mode: h.mode ?? 0o755, mtime });
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file': {
          await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: (h.mode ?? 0o644) & 0o777 }));
          await fs.chmod(target, (h.mode ?? 0o644) & 0o7777);
          await fs.utimes(target, mtime, mtime);
          break;
        }
        case 'symlink':
          await fs.symlink(h.linkname ?? '', target);
          await fs.lutimes(target, mtime, mtime).catch(() => undefined);
          entry.resume();
          break;
        case 'link': {
          const linkRel = safeRelative(
            rebase ? rebaseEntry(h.linkname ?? '', rebase.from, rebase.to) : (h.linkname ?? ''),
          );
          await fs.link(path.join(root, linkRel), target);
          entry.resume();
          break;
        }
        default:
          entry.resume(); // devices and fifos are not created locally
      }
    }
    for (const d of dirTimes.reverse()) {
      await fs.chmod(d.p, d.mode & 0o7777);
      await fs.utimes(d.p, d.mtime, d.mtime);
    }
  })();
  await Promise.all([pipeline(content, extract), done]);
}

function safeRelative(name: string): string {
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0)
        throw new CliExit(`invalid archive: ${JSON.stringify(name)} points outside the destination`);
      parts.pop();
    } else {
      parts.push(c);
    }
  }
  return parts.join('/');
}

async function ensureParents(root: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let current = root;
  for (const part of parts) {
    current = path.join(current, part);
    const st = await fs.lstat(current).catch(() => undefined);
    if (st === undefined) await fs.mkdir(current, 0o755);
    else if (!st.isDirectory()) throw new CliExit(`invalid archive: ${current} is not a directory`);
  }
}

// -------------------------------------------------------------- to container

async function toContainer(
  ctx: CliContext,
  srcIn: string,
  container: string,
  dstPath: string,
  o: { followLink: boolean; copyUIDGID: boolean; quiet: boolean },
): Promise<void> {
  const client = ctx.client();
  const dst: LocalInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' };
  let st: ContainerPathStat | undefined = await statContainerPath(client, container, dstPath).catch(() => undefined);
  if (st !== undefined) {
    if (isSymlinkMode(st.mode)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = path.posix.join(splitPathDirEntry(dstPath).dir, target);
      dst.path = target;
      st = await statContainerPath(client, container, target).catch(() => undefined);
    }
    if (st !== undefined) {
      const isDir = isDirMode(st.mode);
      const regular = st.mode < 2 ** 19; // no type bit set
      if (!isDir && !regular) {
        throw new CliExit(
          `destination "${container}:${dstPath}" must be a directory or a regular file: got a special file`,
        );
      }
      dst.exists = true;
      dst.isDir = isDir;
    }
  }
  if (srcIn === '-') {
    if (!dst.isDir) throw new CliExit(`destination "${container}:${dstPath}" must be a directory`);
    await copyToContainer(client, container, dst.path, ctx.stdin, { copyUIDGID: o.copyUIDGID });
    return;
  }
  const src = await localSource(resolveLocal(srcIn), o.followLink);
  const { dstDir, rebase } = prepareCopy(src, dst);
  const { base } = splitPathDirEntry(src.path);
  const top = rebase ? rebase.to : base;
  let size = 0;
  const archive = tarLocal(src.path, top, (n) => {
    size += n;
  });
  await copyToContainer(client, container, dstDir, archive, { copyUIDGID: o.copyUIDGID });
  if (!o.quiet) ctx.stderr.write(`Successfully copied ${humanSize(size)} to ${container}:${dst.path}\n`);
}

/** go-archive CopyInfoSourcePath. */
async function localSource(p: string, followLink: boolean): Promise<LocalInfo> {
  let resolved = p;
  let rebaseName = '';
  if (followLink) {
    const real = await fs.realpath(p).catch(() => undefined);
    if (real !== undefined && real !== p.replace(/\/+\.?$/, '')) {
      rebaseName = splitPathDirEntry(p).base;
      resolved = assertsDirectory(p) ? `${real}/${p.endsWith('/.') ? '.' : ''}` : real;
    }
  }
  const st = await fs.lstat(resolved.endsWith('/.') ? resolved.slice(0, -2) : resolved).catch(() => undefined);
  if (st === undefined) throw new CliExit(`lstat ${resolved.replace(/\/+\.?$/, '')}: no such file or directory`);
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
}

/** A tar of a local file or directory whose top entry is named `top` (go-archive TarResourceRebase). */
function tarLocal(p: string, top: string, onFileBytes: (n: number) => void): Readable {
  const pack = tar.pack();
  const source = p.endsWith('/.') ? p.slice(0, -2) : p.replace(/(.)\/+$/, '$1');
  const links = new Map<string, string>();
  const add = (header: Partial<tar.Header> & { name: string }, body?: Readable): Promise<void> =>
    new Promise((resolve, reject) => {
      if (body === undefined) {
        pack.entry(header, (err) => (err ? reject(err) : resolve()));
        return;
      }
      const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      body.on('error', reject);
      body.pipe(sink);
    });
  const walk = async (file: string, name: string): Promise<void> => {
    const st = await fs.lstat(file);
    const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await add({ ...base, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' });
      for (const child of (await fs.readdir(file)).sort()) await walk(path.join(file, child), `${name}/${child}`);
    } else if (st.isSymbolicLink()) {
      await add({ ...base, type: 'symlink', linkname: await fs.readlink(file) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        await add({ ...base, type: 'link', linkname: first });
        return;
      }
      if (st.nlink > 1) links.set(key, name);
      onFileBytes(st.size);
      await add({ ...base, type: 'file', size: st.size }, createReadStream(file));
    }
  };
  walk(source, top).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return pack as unknown as Readable;
}
