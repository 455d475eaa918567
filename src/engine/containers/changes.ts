/**
 * `docker diff`: what a container changed, read from its overlay upper dir
 * (research runtime-internals §4.4, moby's overlay changes): a 0/0 character
 * device is a deleted path; an entry that exists in a lower layer is a
 * modification, else an addition; the parent directory of an addition or a
 * deletion is a modification. Directories that exist below are reported
 * only when their owner or mode changed, or when their time or size changed
 * and they hold changes of their own (so copy-up alone does not count).
 * Paths Docker keeps in its init layer (the /etc files and the mount points
 * /proc, /sys, /dev, which the runtime makes in the upper dir) are left out.
 * Order: a depth-first walk with names sorted, parents first (Go's
 * filepath.Walk, as moby).
 *
 * Limits: entries of a lower directory hidden by an opaque upper directory
 * are not listed as deleted (the directory is reported as changed).
 */
import { promises as fs, type Stats } from 'node:fs';
import type { Host } from '../../host';
import { isOpaque, isWhiteout } from './archive';
import { at, ContainerRoot, closeFd, joinPath, O_DIR, openAt } from './in-root';

export type ChangeKind = 0 | 1 | 2;
export const CHANGE_MODIFY: ChangeKind = 0;
export const CHANGE_ADD: ChangeKind = 1;
export const CHANGE_DELETE: ChangeKind = 2;

export interface Change {
  path: string;
  kind: ChangeKind;
}

/** The runtime's mount points and bind targets: never part of a container's changes or commits (Docker's init layer). */
export function isInitLayerPath(parts: readonly string[]): boolean {
  const [first, second] = parts;
  if (first === 'proc' || first === 'sys' || first === 'dev') return true;
  if (parts.length === 1 && first === '.dockerenv') return true;
  return (
    parts.length === 2 && first === 'etc' && (second === 'hostname' || second === 'hosts' || second === 'resolv.conf')
  );
}

/** Looks paths up through a stack of read-only layers, honouring their whiteouts and opaque dirs. */
export class LowerLayers {
  private readonly roots: ContainerRoot[];

  constructor(
    /** Layer directories, topmost first. */
    layers: readonly string[],
    private readonly host: Pick<Host, 'lgetxattr'>,
  ) {
    this.roots = layers.map((l) => new ContainerRoot(l));
  }

  /** The lstat of `parts` as the merged lower layers show it; undefined when absent. */
  async stat(parts: readonly string[]): Promise<Stats | undefined> {
    for (const root of this.roots) {
      // A whiteout or a non-directory at an ancestor hides the path here and below.
      let hiddenBelow = false;
      let present = true;
      for (let i = 1; i < parts.length; i++) {
        const st = await root.lstat(parts.slice(0, i));
        if (st === undefined) {
          present = false;
          break;
        }
        if (!st.isDirectory()) return undefined;
        if (await this.opaque(root, parts.slice(0, i))) hiddenBelow = true;
      }
      if (present) {
        const st = await root.lstat(parts);
        if (st !== undefined) return isWhiteout(st) ? undefined : st;
      }
      if (hiddenBelow) return undefined;
    }
    return undefined;
  }

  private async opaque(root: ContainerRoot, parts: readonly string[]): Promise<boolean> {
    if (parts.length === 0) return false;
    const fd = await root.openDir(parts.slice(0, -1)).catch(() => undefined);
    if (fd === undefined) return false;
    try {
      return isOpaque(this.host, fd, parts[parts.length - 1] as string);
    } finally {
      await closeFd(fd);
    }
  }
}

function sameTime(a: Stats, b: Stats): boolean {
  // Tars keep whole seconds: a zero fraction on either side compares seconds only.
  const sa = Math.floor(a.mtimeMs / 1000);
  const sb = Math.floor(b.mtimeMs / 1000);
  if (a.mtimeMs % 1000 === 0 || b.mtimeMs % 1000 === 0) return sa === sb;
  return a.mtimeMs === b.mtimeMs;
}

/** Computes the changes of the upper dir `upper` over `lowers` (topmost first). */
export async function computeChanges(
  upper: string,
  lowers: readonly string[],
  host: Pick<Host, 'lgetxattr'>,
): Promise<Change[]> {
  const below = new LowerLayers(lowers, host);
  const out: Change[] = [];
  const fd = await new ContainerRoot(upper).openDir([]);
  try {
    await walkDir(fd, []);
  } finally {
    await closeFd(fd);
  }
  return out;

  /** Walks one directory; returns whether any direct child was added or deleted, and whether anything was reported. */
  async function walkDir(dirFd: number, parts: string[]): Promise<{ addDel: boolean; any: boolean }> {
    let addDel = false;
    let any = false;
    const names = (await fs.readdir(at(dirFd))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const cparts = [...parts, name];
      if (isInitLayerPath(cparts)) continue;
      const st = await fs.lstat(at(dirFd, name)).catch(() => undefined);
      if (st === undefined) continue;
      const p = joinPath(cparts);
      if (isWhiteout(st)) {
        out.push({ path: p, kind: CHANGE_DELETE });
        addDel = true;
        any = true;
        continue;
      }
      const lower = await below.stat(cparts);
      if (!st.isDirectory()) {
        out.push({ path: p, kind: lower === undefined ? CHANGE_ADD : CHANGE_MODIFY });
        addDel ||= lower === undefined;
        any = true;
        continue;
      }
      // A directory: its own record goes before its children's, decided after them.
      const at0 = out.length;
      let child: number;
      try {
        child = await openAt(dirFd, name, O_DIR);
      } catch {
        continue;
      }
      let inner: { addDel: boolean; any: boolean };
      try {
        inner = await walkDir(child, cparts);
      } finally {
        await closeFd(child);
      }
      let kind: ChangeKind | undefined;
      if (lower === undefined || !lower.isDirectory()) {
        kind = lower === undefined ? CHANGE_ADD : CHANGE_MODIFY;
      } else {
        const metaChanged = lower.mode !== st.mode || lower.uid !== st.uid || lower.gid !== st.gid;
        const timeChanged = !sameTime(lower, st) || lower.size !== st.size;
        const opaque = isOpaque(host, dirFd, name);
        if (metaChanged || opaque || inner.addDel || (timeChanged && inner.any)) kind = CHANGE_MODIFY;
      }
      if (kind !== undefined) {
        out.splice(at0, 0, { path: p, kind });
        addDel ||= kind === CHANGE_ADD;
        any = true;
      } else if (inner.any) {
        any = true;
      }
    }
    return { addDel, any };
  }
}

/** The `lowerdir=` layers of a snapshot's overlay mount, topmost first ([] for a bind mount). */
export function lowerDirsOf(mounts: ReadonlyArray<{ type: string; options: string[] }>): string[] {
  for (const m of mounts) {
    if (m.type !== 'overlay') continue;
    const opt = m.options.find((o) => o.startsWith('lowerdir='));
    if (opt) return opt.slice('lowerdir='.length).split(':');
  }
  return [];
}
