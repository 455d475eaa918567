/**
 * Parsing of /proc/<pid>/mountinfo (proc(5)). Each line is
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * with space, tab, newline and backslash in paths escaped as octal (\040).
 */
export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  /** Path of the mount's root within its filesystem. */
  root: string;
  mountPoint: string;
  options: string;
  fsType: string;
  source: string;
  superOptions: string;
}

/** Decodes the kernel's octal escapes (`\040` → space). */
export function unescapeMountPath(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (fields.length < 10 || sep < 0) continue;
    entries.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescapeMountPath(fields[3] ?? ''),
      mountPoint: unescapeMountPath(fields[4] ?? ''),
      options: fields[5] ?? '',
      fsType: fields[sep + 1] ?? '',
      source: unescapeMountPath(fields[sep + 2] ?? ''),
      superOptions: fields[sep + 3] ?? '',
    });
  }
  return entries;
}

/**
 * The mount points at or below `prefix`, deepest first; mounts stacked on the
 * same point appear once per mount, topmost first, so unmounting the list in
 * order takes everything down.
 */
export function mountPointsUnder(entries: MountInfoEntry[], prefix: string): string[] {
  const base = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  const under = (p: string) => p === base || p.startsWith(base === '/' ? '/' : `${base}/`);
  const found = entries
    .map((e, i) => ({ p: e.mountPoint, i }))
    .filter((e) => under(e.p))
    .reverse();
  // Deeper paths first; among equal depth, later (upper) mounts first.
  found.sort((a, b) => depth(b.p) - depth(a.p) || b.i - a.i);
  return found.map((e) => e.p);
}

function depth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}
