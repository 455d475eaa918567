/**
 * Generates the benchmark's input: a docker-archive (what `docker save`
 * writes) of one image with several layers of pseudo-random files, and a
 * plain root-filesystem tarball of the same total size for `import`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pack } from 'tar-stream';

export interface GeneratedArchive {
  /** The docker-archive. */
  archive: string;
  /** A single-layer rootfs tarball for import. */
  rootfs: string;
  /** Bytes of layer content (the MB in MB/s). */
  bytes: number;
  reference: string;
}

/** Writes a tar of `files` files of `fileSize` bytes under `dir/` and returns its sha256 and size. */
async function writeLayer(
  file: string,
  dir: string,
  files: number,
  fileSize: number,
  seed: Buffer,
): Promise<{ digest: string; size: number }> {
  const p = pack();
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(file);
  p.on('data', (c: unknown) => {
    hash.update(c as Buffer);
    size += (c as Buffer).length;
  });
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  p.pipe(out);
  const mtime = new Date('2024-01-01T00:00:00Z');
  p.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, mtime });
  for (let i = 0; i < files; i++) {
    // Pseudo-random but cheap: a random block repeated with a per-file prefix, so gzip can't fold it away.
    const body = Buffer.alloc(fileSize);
    for (let off = 0; off < fileSize; off += seed.length) seed.copy(body, off);
    body.writeUInt32BE(i, 0);
    await new Promise<void>((resolve, reject) =>
      p.entry({ name: `${dir}/f${i}.bin`, size: fileSize, mode: 0o644, mtime }, body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  p.finalize();
  await done;
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export async function generateArchive(dir: string, totalMB = 200, layers = 4): Promise<GeneratedArchive> {
  const fileSize = 1 << 20;
  const perLayer = Math.floor(totalMB / layers);
  const seed = randomBytes(64 * 1024);
  const staging = path.join(dir, 'staging');
  await fs.mkdir(path.join(staging, 'blobs', 'sha256'), { recursive: true });
  const diffIds: string[] = [];
  const layerPaths: string[] = [];
  for (let l = 0; l < layers; l++) {
    const tmp = path.join(staging, `layer${l}.tar`);
    const { digest } = await writeLayer(tmp, `layer${l}`, perLayer, fileSize, randomBytes(64 * 1024));
    const rel = `blobs/sha256/${digest.slice(7)}`;
    await fs.rename(tmp, path.join(staging, rel));
    diffIds.push(digest);
    layerPaths.push(rel);
  }
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `bench layer ${i}` })),
  });
  const configHex = createHash('sha256').update(config).digest('hex');
  await fs.writeFile(path.join(staging, 'blobs', 'sha256', configHex), config);
  const reference = 'bench/load:latest';
  await fs.writeFile(
    path.join(staging, 'manifest.json'),
    JSON.stringify([{ Config: `blobs/sha256/${configHex}`, RepoTags: [reference], Layers: layerPaths }]),
  );
  const archive = path.join(dir, 'bench-archive.tar');
  await tarDirectory(staging, archive, ['manifest.json', `blobs/sha256/${configHex}`, ...layerPaths]);
  const rootfs = path.join(dir, 'bench-rootfs.tar');
  await writeLayer(rootfs, 'rootfs', perLayer * layers, fileSize, seed);
  await fs.rm(staging, { recursive: true, force: true });
  return { archive, rootfs, bytes: perLayer * layers * fileSize, reference };
}

async function tarDirectory(root: string, outFile: string, names: string[]): Promise<void> {
  const p = pack();
  const out = createWriteStream(outFile);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  p.pipe(out);
  const mtime = new Date('2024-01-01T00:00:00Z');
  p.entry({ name: 'blobs/', type: 'directory', mtime });
  p.entry({ name: 'blobs/sha256/', type: 'directory', mtime });
  for (const name of names) {
    const file = path.join(root, name);
    const st = await fs.stat(file);
    const entry = p.entry({ name, size: st.size, mode: 0o644, mtime });
    const { createReadStream } = await import('node:fs');
    await new Promise<void>((resolve, reject) => {
      const rs = createReadStream(file);
      rs.on('error', reject);
      entry.on('error', reject);
      entry.on('finish', resolve);
      rs.pipe(entry);
    });
  }
  p.finalize();
  await done;
}
