/**
 * `--user` and `--group-add` resolved as Docker does (runc's
 * user.GetExecUser): names and numbers against the container's /etc/passwd
 * and /etc/group, supplementary groups from /etc/group membership when no
 * group was given, numeric ids without an entry allowed (gid 0 then).
 *
 * The files are read *inside* the rootfs: every path component is resolved
 * with lstat and symlinks are followed relative to the rootfs (absolute
 * targets re-rooted, ".." stops at the root), so an image whose /etc/passwd
 * points at /etc/shadow reads its own /etc/shadow, never the host's.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { errnoCode, invalidArgument } from '../../common/errors';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** The home directory from passwd ('/' when unknown), for HOME. */
  home: string;
}

const MAX_LINKS = 40;
const MAX_ID = 2 ** 31 - 1;

/**
 * The host path of `inner` (absolute, inside the container) with symlinks
 * resolved within `root`; undefined when a component does not exist.
 */
export async function resolveInRoot(root: string, inner: string): Promise<string | undefined> {
  const pending = inner.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, part);
    let st: import('node:fs').Stats;
    try {
      st = await fs.lstat(host);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw invalidArgument(`too many symlinks resolving ${inner} in the container`);
      const target = await fs.readlink(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

/** Reads a regular file inside the rootfs (see resolveInRoot); undefined when missing. */
export async function readFileInRoot(root: string, inner: string, limit = 16 << 20): Promise<string | undefined> {
  const host = await resolveInRoot(root, inner);
  if (host === undefined) return undefined;
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fs.open(host, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(Math.min(st.size, limit));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parseId(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = parseId(f[2]);
    const gid = parseId(f[3]);
    if (f[0] === undefined || uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = parseId(f[2]);
    if (f[0] === undefined || gid === undefined) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

/** Resolves `user[:group]` and the extra groups against a rootfs. */
export async function resolveUser(
  rootfs: string,
  userSpec: string,
  groupAdd: readonly string[] = [],
): Promise<ResolvedUser> {
  const [passwdText, groupText] = await Promise.all([
    readFileInRoot(rootfs, '/etc/passwd'),
    readFileInRoot(rootfs, '/etc/group'),
  ]);
  return resolveUserFrom(passwdText, groupText, userSpec, groupAdd);
}

/** The pure part of resolveUser (undefined text = the file is missing). */
export function resolveUserFrom(
  passwdText: string | undefined,
  groupText: string | undefined,
  userSpec: string,
  groupAdd: readonly string[] = [],
): ResolvedUser {
  const passwd = passwdText === undefined ? [] : parsePasswd(passwdText);
  const groups = groupText === undefined ? [] : parseGroup(groupText);
  const colon = userSpec.indexOf(':');
  const userArg = colon < 0 ? userSpec : userSpec.slice(0, colon);
  const groupArg = colon < 0 ? '' : userSpec.slice(colon + 1);

  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const byName = passwd.find((p) => p.name === userArg);
  const numericUid = parseId(userArg);
  if (userArg === '') {
    const root = passwd.find((p) => p.uid === 0);
    if (root) ({ name, gid, home } = { name: root.name, gid: root.gid, home: root.home || '/' });
  } else if (byName) {
    ({ uid, gid, name } = byName);
    home = byName.home || '/';
  } else if (numericUid !== undefined) {
    uid = numericUid;
    const entry = passwd.find((p) => p.uid === uid);
    if (entry) ({ gid, name, home } = { gid: entry.gid, name: entry.name, home: entry.home || '/' });
  } else {
    if (passwdText === undefined)
      throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
    throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
  }

  const groupId = (arg: string): number => {
    const g = groups.find((e) => e.name === arg);
    if (g) return g.gid;
    const n = parseId(arg);
    if (n !== undefined) return n;
    throw invalidArgument(`unable to find group ${arg}: no matching entries in group file`);
  };
  let additionalGids: number[] = [];
  if (groupArg !== '') {
    gid = groupId(groupArg);
  } else if (name !== undefined) {
    const member = name;
    additionalGids = groups.filter((g) => g.members.includes(member)).map((g) => g.gid);
  }
  for (const g of groupAdd) additionalGids.push(groupId(g));
  additionalGids = [...new Set(additionalGids)];
  return { uid, gid, additionalGids, home };
}
