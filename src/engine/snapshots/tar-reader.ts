/**
 * A streaming reader for the tar dialects found in image layers: ustar,
 * POSIX pax (local and global extended headers), GNU long names and links,
 * base-256 numbers. It is ours rather than tar-stream's because tar-stream
 * decodes pax values as UTF-8, which corrupts binary xattr values such as
 * `security.capability`; here pax values stay bytes.
 *
 * Like Go's archive/tar (which wrote most layers), an archive that ends at a
 * header boundary without the two zero blocks is accepted; an archive that
 * ends inside a header or an entry's data is an error.
 */
import { invalidArgument } from '../../common/errors';

export type TarEntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarHeader {
  /** Path as written in the archive (pax `path`, GNU long name or ustar prefix/name). */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Data bytes that follow the header (0 for everything but files). */
  size: number;
  /** Seconds since the epoch, fractional when a pax header gave it. */
  mtime: number;
  atime: number | undefined;
  /** Target of a link or symlink. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from pax `SCHILY.xattr.<name>` records, raw bytes. */
  xattrs: Map<string, Buffer>;
}

/** Where tar bytes come from: a Readable, any async iterable, or an array of buffers. */
export type TarSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export type TarEvent = { kind: 'entry'; header: TarHeader } | { kind: 'data'; chunk: Buffer };

const BLOCK = 512;
/** Largest extended header accepted (pax or GNU long name), as a guard against absurd sizes. */
const MAX_META = 1 << 20;

const malformed = (msg: string) => invalidArgument(`invalid layer tar: ${msg}`);
const truncated = (what: string) => invalidArgument(`invalid layer tar: unexpected end of archive ${what}`);

/** Buffers chunks from an async source and hands out exact or bounded slices. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private head = 0; // offset into chunks[0]
  available = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array | string> | Iterator<Uint8Array | string>;

  constructor(source: TarSource) {
    this.it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  /** Waits until `n` bytes are buffered; false if the source ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.available < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const v = r.value;
      const b =
        typeof v === 'string'
          ? Buffer.from(v)
          : Buffer.isBuffer(v)
            ? v
            : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      if (b.length > 0) {
        this.chunks.push(b);
        this.available += b.length;
      }
    }
    return this.available >= n;
  }

  /** Exactly `n` buffered bytes (copied only when they span chunks). */
  take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const k = Math.min(n - filled, c.length - this.head);
      c.copy(out, filled, this.head, this.head + k);
      filled += k;
      this.advance(k);
    }
    return out;
  }

  /** Up to `n` bytes from the first buffered chunk, without copying. */
  takeSome(n: number): Buffer {
    const first = this.chunks[0]!;
    const k = Math.min(n, first.length - this.head);
    const out = first.subarray(this.head, this.head + k);
    this.advance(k);
    return out;
  }

  private advance(n: number): void {
    this.available -= n;
    this.head += n;
    while (this.chunks.length > 0 && this.head >= this.chunks[0]!.length) {
      this.head -= this.chunks[0]!.length;
      this.chunks.shift();
    }
  }

  /** Consumes whatever the source still has (padding after the end marker). */
  async drain(): Promise<void> {
    this.chunks = [];
    this.head = 0;
    this.available = 0;
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
    }
  }
}

/** Parses an octal or base-256 numeric field. */
export function parseNumber(field: Buffer, what: string): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff) throw malformed(`negative ${what}`);
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) {
      v = v * 256 + field[i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw malformed(`${what} too large`);
    }
    return v;
  }
  let s = field.toString('latin1');
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  s = s.trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw malformed(`bad ${what} field ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

function cString(buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return (nul >= 0 ? field.subarray(0, nul) : field).toString('utf8');
}

function checksumOk(block: Buffer): boolean {
  const stored = parseNumber(block.subarray(148, 156), 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses pax records "<len> <key>=<value>\n"; values are kept as bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // some writers pad with NULs
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw malformed('bad pax record');
    const len = Number(data.toString('latin1', off, sp));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > data.length)
      throw malformed('bad pax record length');
    const record = data.subarray(sp + 1, off + len);
    if (record[record.length - 1] !== 0x0a) throw malformed('pax record not terminated by newline');
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw malformed('pax record without "="');
    out.set(record.toString('utf8', 0, eq), record.subarray(eq + 1, record.length - 1));
    off += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};

function paxNumber(pax: Map<string, Buffer>, key: string): number | undefined {
  const v = pax.get(key);
  if (v === undefined) return undefined;
  const s = v.toString('latin1');
  const n = Number(s);
  if (s === '' || !Number.isFinite(n) || n < 0) throw malformed(`bad pax ${key} ${JSON.stringify(s)}`);
  return n;
}

/**
 * Reads a tar stream as a sequence of events: an `entry` event with the
 * header, then `data` events with exactly `header.size` bytes in total. The
 * consumer must take the data events before the next entry appears (it
 * simply keeps iterating). Chunks may be views into the source's buffers:
 * consume them before asking for the next event.
 */
export async function* readTar(source: TarSource): AsyncGenerator<TarEvent> {
  const r = new ChunkReader(source);
  let globalPax = new Map<string, Buffer>();
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let entries = 0;

  for (;;) {
    if (!(await r.ensure(BLOCK))) {
      if (r.available === 0 && pax === undefined && longName === undefined && longLink === undefined) return;
      throw truncated(r.available === 0 ? 'after an extended header' : 'inside a header');
    }
    const block = r.take(BLOCK);
    if (isZeroBlock(block)) {
      await r.drain(); // second zero block and record padding
      return;
    }
    if (!checksumOk(block)) {
      throw malformed(
        entries === 0
          ? 'header checksum mismatch (not a tar archive, or compressed with an unsupported format?)'
          : `header checksum mismatch after ${entries} entries (corrupt archive)`,
      );
    }
    const flag = String.fromCharCode(block[156]!);
    let size = parseNumber(block.subarray(124, 136), 'size');

    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_META) throw malformed(`extended header of ${size} bytes is too large`);
      const padded = size + ((BLOCK - (size % BLOCK)) % BLOCK);
      if (!(await r.ensure(padded))) throw truncated('inside an extended header');
      const data = Buffer.from(r.take(padded).subarray(0, size));
      if (flag === 'x') pax = new Map([...globalPax, ...parsePax(data)]);
      else if (flag === 'g') globalPax = new Map([...globalPax, ...parsePax(data)]);
      else {
        const nul = data.indexOf(0);
        const s = (nul >= 0 ? data.subarray(0, nul) : data).toString('utf8');
        if (flag === 'L') longName = s;
        else longLink = s;
      }
      continue;
    }

    const type = TYPES[flag];
    if (type === undefined) {
      throw malformed(`unsupported entry type ${JSON.stringify(flag)} for ${JSON.stringify(cString(block, 0, 100))}`);
    }
    const fields = pax ?? globalPax;
    if ([...fields.keys()].some((k) => k.startsWith('GNU.sparse.'))) {
      throw malformed(`sparse file ${JSON.stringify(cString(block, 0, 100))} is not supported`);
    }

    let name = cString(block, 0, 100);
    const magic = block.toString('latin1', 257, 263);
    if (magic === 'ustar\0' && block[345] !== 0) name = `${cString(block, 345, 155)}/${name}`;
    if (longName !== undefined) name = longName;
    let linkname = cString(block, 157, 100);
    if (longLink !== undefined) linkname = longLink;
    const paxPath = fields.get('path');
    if (paxPath !== undefined) name = paxPath.toString('utf8');
    const paxLink = fields.get('linkpath');
    if (paxLink !== undefined) linkname = paxLink.toString('utf8');
    size = paxNumber(fields, 'size') ?? size;
    // Old tars mark directories with a trailing slash on a regular entry.
    const effective: TarEntryType = type === 'file' && flag !== '7' && name.endsWith('/') ? 'directory' : type;
    // Only regular files carry data; any size on other types is ignored as Go's reader does.
    const dataSize = effective === 'file' ? size : 0;

    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of fields) {
      if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    }
    const header: TarHeader = {
      name,
      type: effective,
      mode: parseNumber(block.subarray(100, 108), 'mode') & 0o7777,
      uid: paxNumber(fields, 'uid') ?? parseNumber(block.subarray(108, 116), 'uid'),
      gid: paxNumber(fields, 'gid') ?? parseNumber(block.subarray(116, 124), 'gid'),
      size: dataSize,
      mtime: paxNumber(fields, 'mtime') ?? parseNumber(block.subarray(136, 148), 'mtime'),
      atime: paxNumber(fields, 'atime'),
      linkname,
      devmajor: parseNumber(block.subarray(329, 337), 'devmajor'),
      devminor: parseNumber(block.subarray(337, 345), 'devminor'),
      xattrs,
    };
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    entries++;
    yield { kind: 'entry', header };

    // Header-only types carry no data whatever their size field says (as in Go's
    // reader); a trailing-slash "file" that became a directory still skips its data.
    const consumed = type === 'file' ? size : 0;
    let remaining = consumed;
    while (remaining > 0) {
      if (r.available === 0 && !(await r.ensure(1))) throw truncated(`inside ${JSON.stringify(name)}`);
      const chunk = r.takeSome(remaining);
      remaining -= chunk.length;
      if (dataSize > 0) yield { kind: 'data', chunk };
    }
    const pad = (BLOCK - (consumed % BLOCK)) % BLOCK;
    if (pad > 0) {
      if (!(await r.ensure(pad))) throw truncated(`inside the padding of ${JSON.stringify(name)}`);
      r.take(pad);
    }
  }
}
