/**
 * `X-Docker-Container-Path-Stat` values: Go's os.FileMode bits (not Unix
 * st_mode) and Go's RFC 3339 time with nanoseconds (engine-api.md §4.9).
 */
import { type BigIntStats, constants, type Stats } from 'node:fs';

/** Go os.FileMode type bits. */
export const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
  irregular: 2 ** 19,
} as const;

/** The Go os.FileMode of a Unix st_mode, as Go's fillFileStatFromSys computes it. */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  switch (mode & constants.S_IFMT) {
    case constants.S_IFDIR:
      m += GO_MODE.dir;
      break;
    case constants.S_IFLNK:
      m += GO_MODE.symlink;
      break;
    case constants.S_IFBLK:
      m += GO_MODE.device;
      break;
    case constants.S_IFCHR:
      m += GO_MODE.device + GO_MODE.charDevice;
      break;
    case constants.S_IFIFO:
      m += GO_MODE.namedPipe;
      break;
    case constants.S_IFSOCK:
      m += GO_MODE.socket;
      break;
  }
  if (mode & 0o4000) m += GO_MODE.setuid;
  if (mode & 0o2000) m += GO_MODE.setgid;
  if (mode & 0o1000) m += GO_MODE.sticky;
  return m;
}

/** Go's time.Time JSON form (RFC 3339 with trailing zeros of the fraction trimmed), UTC. */
export function goTime(secondsPart: number, nanos: number): string {
  const base = new Date(secondsPart * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return `${base}Z`;
  return `${base}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** The modification time of a stat result in Go's form. */
export function goMtime(st: Stats | BigIntStats): string {
  if ('mtimeNs' in st) {
    const ns = st.mtimeNs;
    const sec = ns / 1_000_000_000n;
    return goTime(Number(sec), Number(ns - sec * 1_000_000_000n));
  }
  const ms = (st as Stats).mtimeMs;
  const sec = Math.floor(ms / 1000);
  return goTime(sec, Math.round((ms - sec * 1000) * 1e6));
}

/** Docker's container.PathStat. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** The header value: base64 of the JSON. */
export function encodePathStat(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}
