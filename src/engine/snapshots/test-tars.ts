/**
 * Builds layer tars for the tests of this folder with tar-stream's packer.
 * Extended attributes go into a hand-made pax header so that binary values
 * (security.capability) stay bytes.
 */
import * as tar from 'tar-stream';

export interface TarSpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  content?: string | Buffer;
  xattrs?: Record<string, string | Uint8Array>;
}

/** A pax extended header body from raw records. */
export function paxRecords(records: Record<string, string | Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(Buffer.from(String(len)), body);
  }
  return Buffer.concat(parts);
}

const TYPEFLAG: Record<NonNullable<TarSpec['type']>, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(`${value.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
}

/** One 512-byte ustar header. */
export function ustarHeader(h: {
  name: string;
  typeflag: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode ?? 0o644);
  octal(b, 108, 8, h.uid ?? 0);
  octal(b, 116, 8, h.gid ?? 0);
  octal(b, 124, 12, h.size ?? 0);
  octal(b, 136, 12, h.mtime ?? 1_700_000_000);
  b.write(h.typeflag, 156, 1, 'latin1');
  b.write(h.linkname ?? '', 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'latin1');
  b.write('00', 263, 2, 'latin1');
  octal(b, 329, 8, h.devmajor ?? 0);
  octal(b, 337, 8, h.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

function padded(data: Buffer): Buffer[] {
  const pad = (512 - (data.length % 512)) % 512;
  return pad > 0 ? [data, Buffer.alloc(pad)] : [data];
}

/**
 * A layer tar written by hand (tar-stream's packer cannot emit binary pax
 * values): ustar headers, a pax header for long names and xattrs.
 */
export function buildTar(entries: TarSpec[], o: { endMarker?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    const records: Record<string, string | Uint8Array> = {};
    const nameBytes = Buffer.byteLength(e.name);
    if (nameBytes > 100) records.path = e.name;
    if (e.linkname && Buffer.byteLength(e.linkname) > 100) records.linkpath = e.linkname;
    for (const [k, v] of Object.entries(e.xattrs ?? {})) records[`SCHILY.xattr.${k}`] = v;
    if (Object.keys(records).length > 0) {
      const body = paxRecords(records);
      out.push(ustarHeader({ name: 'PaxHeaders/entry', typeflag: 'x', size: body.length }), ...padded(body));
    }
    out.push(
      ustarHeader({
        name: nameBytes > 100 ? 'long-name' : e.name,
        typeflag: TYPEFLAG[type],
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        size: content.length,
        mtime: Math.floor((e.mtime?.getTime() ?? 1_700_000_000_000) / 1000),
        linkname: e.linkname && Buffer.byteLength(e.linkname) <= 100 ? e.linkname : '',
        devmajor: e.devmajor ?? 0,
        devminor: e.devminor ?? 0,
      }),
    );
    if (content.length > 0) out.push(...padded(content));
  }
  if (o.endMarker ?? true) out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** The same entries packed by tar-stream (no xattrs): a second, independent writer. */
export async function packWithTarStream(entries: TarSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    await new Promise<void>((resolve, reject) => {
      const header: Partial<tar.Header> & { name: string } = {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        mtime: e.mtime ?? new Date(1_700_000_000_000),
        ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
        ...(e.devmajor !== undefined ? { devmajor: e.devmajor } : {}),
        ...(e.devminor !== undefined ? { devminor: e.devminor } : {}),
      };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content) pack.entry(header, content, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
