/**
 * Layer blobs arrive gzip-compressed (Docker), zstd-compressed (newer
 * builders) or plain. The media type says which, but `docker load` archives
 * do not always, so the first bytes decide.
 */
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { EngineError, invalidArgument, isEngineError } from '../../common/errors';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Sniffs the compression from a blob's first bytes (at least 6 for xz; fewer means 'none'). */
export function compressionOf(firstBytes: Uint8Array): Compression {
  const b = firstBytes;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  if (b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (
    b.length >= 6 &&
    b[0] === 0xfd &&
    b[1] === 0x37 &&
    b[2] === 0x7a &&
    b[3] === 0x58 &&
    b[4] === 0x5a &&
    b[5] === 0x00
  )
    return 'xz';
  return 'none';
}

type ZlibWithZstd = typeof zlib & { createZstdDecompress?: () => import('node:stream').Transform };

/**
 * The uncompressed content of `stream`, whatever its compression. gzip uses
 * node:zlib. zstd is decompressed only where node:zlib has it
 * (`createZstdDecompress`, Node >= 22.15 / 23.8); Node 20 lacks it, and
 * such layers are refused as invalid-argument. bzip2 and xz are refused
 * likewise (Docker accepts them on load, registries never serve them).
 * Decompression errors (corrupt or truncated data) surface as
 * invalid-argument errors from the returned stream, never as a short layer.
 */
export async function decompressedStream(stream: Readable): Promise<Readable> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let have = 0;
  let ended = false;
  while (have < 6) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    head.push(b);
    have += b.length;
  }
  const first = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  const raw = Readable.from(rest(), { objectMode: false });
  const kind = compressionOf(first);
  switch (kind) {
    case 'none':
      return raw;
    case 'gzip':
      return decompressWith(raw, zlib.createGunzip(), 'gzip');
    case 'zstd': {
      const create = (zlib as ZlibWithZstd).createZstdDecompress;
      if (typeof create === 'function') return decompressWith(raw, create(), 'zstd');
      stream.destroy();
      throw invalidArgument('zstd-compressed layers are not supported on this Node version', {
        code: 'unsupported-compression',
        hint: 'run berth on Node >= 22.15, or load images with gzip-compressed layers',
      });
    }
    default:
      stream.destroy();
      throw invalidArgument(`unsupported compression: ${kind}-compressed layers are not supported`, {
        code: 'unsupported-compression',
      });
  }
}

function decompressWith(raw: Readable, decompressor: import('node:stream').Transform, kind: string): Readable {
  const out = pipeline(raw, decompressor, () => {});
  async function* mapped(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of out) yield chunk as Buffer;
    } catch (err) {
      if (isEngineError(err)) throw err;
      throw new EngineError('invalid-argument', `invalid ${kind}-compressed layer: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return Readable.from(mapped(), { objectMode: false });
}
