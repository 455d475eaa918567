import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncDir, randomHex } from '../../common/atomic';
import { type Digest, digestFromHex, digestHex, hasherDigest, isHex64, newHasher } from '../../common/digest';
import { errnoCode, invalidArgument, notFound } from '../../common/errors';

/** A blob's identity: its digest and its size in bytes. */
export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** A Node stream or any async iterable of bytes (e.g. a tar-stream entry). */
export type ByteSource = Readable | AsyncIterable<Uint8Array>;

export interface IngestExpectation {
  digest?: Digest;
  size?: number;
}

/**
 * Content-addressed storage of immutable blobs (containerd's "content store"):
 * layers, configs, manifests. A blob becomes visible only once complete and
 * verified; an interrupted ingest leaves a temporary file that `recover()`
 * removes.
 */
export interface ContentStore {
  /**
   * Stores the bytes of `stream`, hashing them while writing. With
   * `expected`, a digest or size that does not match is an invalid-argument
   * error ("digest mismatch" / "size mismatch") and nothing is stored.
   * Storing a blob that already exists is a no-op that returns its info.
   */
  ingest(stream: ByteSource, expected?: IngestExpectation): Promise<BlobInfo>;
  info(digest: Digest): Promise<BlobInfo | undefined>;
  has(digest: Digest): Promise<boolean>;
  /** Where the blob lives (whether it exists or not). */
  path(digest: Digest): string;
  /** A stream of the blob's bytes; not-found if it does not exist. */
  readStream(digest: Digest): Promise<Readable>;
  readBytes(digest: Digest): Promise<Buffer>;
  /** Parses the blob as JSON; invalid-argument if it is not JSON. */
  readJson<T>(digest: Digest): Promise<T>;
  /** Removes the blob; false if it did not exist. */
  delete(digest: Digest): Promise<boolean>;
  list(): Promise<BlobInfo[]>;
  /** Removes leftovers of interrupted ingests; returns their names. */
  recover(): Promise<string[]>;
}

export interface FileContentStoreOptions {
  /** Directory holding `blobs/sha256/` and `ingest/`. */
  root: string;
}

/** A `ContentStore` on the local filesystem: `<root>/blobs/sha256/<hex>`. */
export class FileContentStore implements ContentStore {
  readonly root: string;
  private readonly blobDir: string;
  private readonly ingestDir: string;
  private dirsReady: Promise<void> | undefined;

  constructor(options: FileContentStoreOptions) {
    this.root = options.root;
    this.blobDir = path.join(this.root, 'blobs', 'sha256');
    this.ingestDir = path.join(this.root, 'ingest');
  }

  private ensureDirs(): Promise<void> {
    this.dirsReady ??= (async () => {
      await fs.mkdir(this.blobDir, { recursive: true, mode: 0o700 });
      await fs.mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
    })();
    return this.dirsReady;
  }

  path(digest: Digest): string {
    return path.join(this.blobDir, digestHex(digest));
  }

  async ingest(stream: ByteSource, expected: IngestExpectation = {}): Promise<BlobInfo> {
    await this.ensureDirs();
    if (expected.digest !== undefined) {
      const existing = await this.info(expected.digest);
      if (existing !== undefined && (expected.size === undefined || expected.size === existing.size)) {
        for await (const _ of stream) {
          // drain: the caller's stream must be consumed either way
        }
        return existing;
      }
    }
    const tmp = path.join(this.ingestDir, randomHex(16));
    const hash = newHasher();
    let size = 0;
    const limit = expected.size;
    try {
      await pipeline(
        async function* () {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (limit !== undefined && size > limit) {
              throw invalidArgument(`size mismatch: expected ${limit} bytes, got more`, { code: 'size-mismatch' });
            }
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: 'wx', mode: 0o644, highWaterMark: 1 << 20 }),
      );
      const handle = await fs.open(tmp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const digest = hasherDigest(hash);
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw invalidArgument(`digest mismatch: expected ${expected.digest}, got ${digest}`, {
          code: 'digest-mismatch',
        });
      }
      if (limit !== undefined && size !== limit) {
        throw invalidArgument(`size mismatch: expected ${limit} bytes, got ${size}`, { code: 'size-mismatch' });
      }
      const target = this.path(digest);
      // Renaming over an existing blob replaces it with identical bytes: still idempotent.
      await fs.rename(tmp, target);
      await fsyncDir(this.blobDir);
      return { digest, size };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await fs.stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async readStream(digest: Digest): Promise<Readable> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path(digest), 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw err;
    }
    return handle.createReadStream({ highWaterMark: 1 << 20 });
  }

  async readBytes(digest: Digest): Promise<Buffer> {
    try {
      return await fs.readFile(this.path(digest));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw err;
    }
  }

  async readJson<T>(digest: Digest): Promise<T> {
    const bytes = await this.readBytes(digest);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (err) {
      throw invalidArgument(`content ${digest}: invalid JSON: ${(err as Error).message}`, { cause: err });
    }
  }

  async delete(digest: Digest): Promise<boolean> {
    try {
      await fs.unlink(this.path(digest));
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async list(): Promise<BlobInfo[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.blobDir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    const out: BlobInfo[] = [];
    for (const name of names.sort()) {
      if (!isHex64(name)) continue;
      const info = await this.info(digestFromHex(name));
      if (info !== undefined) out.push(info);
    }
    return out;
  }

  async recover(): Promise<string[]> {
    await this.ensureDirs();
    const names = await fs.readdir(this.ingestDir);
    for (const name of names) await fs.rm(path.join(this.ingestDir, name), { recursive: true, force: true });
    // Names in blobs/ that are not a hex digest are leftovers too (nothing else writes there).
    const stray = (await fs.readdir(this.blobDir)).filter((n) => !isHex64(n));
    for (const name of stray) await fs.rm(path.join(this.blobDir, name), { recursive: true, force: true });
    return [...names, ...stray];
  }
}
