import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import zlib, { gzipSync } from 'node:zlib';
import { compressionOf, decompressedStream } from './compression';

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const source = (b: Buffer, size = 5) =>
  Readable.from(
    Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)),
    { objectMode: false },
  );

const isInvalid = (re: RegExp) => (err: Error & { kind?: string }) =>
  err.kind === 'invalid-argument' && re.test(err.message);

describe('compression', () => {
  it('sniffs the magic numbers', () => {
    assert.equal(compressionOf(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(compressionOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
    assert.equal(compressionOf(Buffer.from('BZh91AY')), 'bzip2');
    assert.equal(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
    assert.equal(compressionOf(Buffer.from('etc/passwd')), 'none');
    assert.equal(compressionOf(Buffer.from([0x1f])), 'none');
    assert.equal(compressionOf(Buffer.alloc(0)), 'none');
  });

  it('passes plain data through and gunzips gzip, whatever the chunking', async () => {
    const data = Buffer.from('a'.repeat(10_000) + 'tail');
    assert.deepEqual(await collect(await decompressedStream(source(data))), data);
    assert.deepEqual(await collect(await decompressedStream(source(gzipSync(data), 1))), data);
    assert.deepEqual(await collect(await decompressedStream(source(Buffer.from('ab')))), Buffer.from('ab'));
    assert.deepEqual(await collect(await decompressedStream(source(Buffer.alloc(0)))), Buffer.alloc(0));
  });

  it('fails on truncated or corrupt gzip instead of returning a short layer', async () => {
    const gz = gzipSync(Buffer.from('x'.repeat(100_000)));
    await assert.rejects(
      collect(await decompressedStream(source(gz.subarray(0, gz.length - 10), 1000))),
      isInvalid(/gzip/),
    );
    const bad = Buffer.from(gz);
    bad[20] = (bad[20] ?? 0) ^ 0xff;
    await assert.rejects(collect(await decompressedStream(source(bad, 1000))), isInvalid(/gzip/));
  });

  it('refuses zstd unless node:zlib has it, and bzip2/xz always', async () => {
    const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    if (typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress !== 'function') {
      await assert.rejects(decompressedStream(source(zstd)), isInvalid(/zstd-compressed layers are not supported/));
    }
    await assert.rejects(
      decompressedStream(source(Buffer.from('BZh91AY&SY'))),
      isInvalid(/unsupported compression: bzip2/),
    );
  });
});
