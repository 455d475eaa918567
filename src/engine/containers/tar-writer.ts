/**
 * A minimal tar encoder for the archives berth produces from containers
 * (`docker cp`, `export`, `commit` layers): ustar headers, with a POSIX pax
 * extended header when a name, link target, size or id does not fit (as Go's
 * archive/tar writes). Pure functions over buffers; the callers stream them
 * through an async generator, so backpressure is the consumer's reading pace.
 */

export type TarWriteType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarWriteHeader {
  name: string;
  type: TarWriteType;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files only. */
  size?: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const BLOCK = 512;
const TYPEFLAG: Record<TarWriteType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

function octal(value: number, width: number): string {
  return `${Math.max(0, Math.floor(value))
    .toString(8)
    .padStart(width - 1, '0')}\0`;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  // The length counts its own digits.
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

/** Splits a name into ustar prefix and name fields, or undefined when it cannot fit. */
function splitUstar(name: string): { prefix: string; name: string } | undefined {
  if (!/^[\x20-\x7e]*$/.test(name)) return undefined;
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return { prefix, name: rest };
  }
  return undefined;
}

function rawHeader(fields: {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(fields.name, 0, 100, 'utf8');
  b.write(octal(fields.mode & 0o7777, 8), 100, 8, 'ascii');
  b.write(octal(Math.min(fields.uid, MAX_OCTAL_7), 8), 108, 8, 'ascii');
  b.write(octal(Math.min(fields.gid, MAX_OCTAL_7), 8), 116, 8, 'ascii');
  b.write(octal(Math.min(fields.size, MAX_OCTAL_11), 12), 124, 12, 'ascii');
  b.write(octal(Math.min(fields.mtime, MAX_OCTAL_11), 12), 136, 12, 'ascii');
  b.write('        ', 148, 8, 'ascii');
  b.write(fields.typeflag, 156, 1, 'ascii');
  b.write(fields.linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  b.write(octal(fields.devmajor, 8), 329, 8, 'ascii');
  b.write(octal(fields.devminor, 8), 337, 8, 'ascii');
  b.write(fields.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return b;
}

/** The header block(s) of one entry: a pax header first when needed. */
export function encodeTarHeader(h: TarWriteHeader): Buffer {
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const linkname = h.linkname ?? '';
  const pax: Buffer[] = [];
  let split = splitUstar(h.name);
  if (split === undefined) {
    pax.push(paxRecord('path', h.name));
    split = { prefix: '', name: asciiCut(h.name) };
  }
  let link = linkname;
  if (Buffer.byteLength(linkname) > 100 || !/^[\x20-\x7e]*$/.test(linkname)) {
    pax.push(paxRecord('linkpath', linkname));
    link = asciiCut(linkname);
  }
  if (size > MAX_OCTAL_11) pax.push(paxRecord('size', String(size)));
  if (h.uid > MAX_OCTAL_7) pax.push(paxRecord('uid', String(h.uid)));
  if (h.gid > MAX_OCTAL_7) pax.push(paxRecord('gid', String(h.gid)));
  const main = rawHeader({
    name: split.name,
    prefix: split.prefix,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size,
    mtime: h.mtime,
    typeflag: TYPEFLAG[h.type],
    linkname: link,
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  });
  if (pax.length === 0) return main;
  const body = Buffer.concat(pax);
  const paxHeader = rawHeader({
    name: asciiCut(`PaxHeaders.0/${h.name.split('/').filter(Boolean).pop() ?? 'x'}`),
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: h.mtime,
    typeflag: 'x',
    linkname: '',
    devmajor: 0,
    devminor: 0,
  });
  return Buffer.concat([paxHeader, body, tarPadding(body.length), main]);
}

function asciiCut(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}
