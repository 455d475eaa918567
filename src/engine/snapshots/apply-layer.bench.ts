/**
 * Throughput check for applyLayer, run by hand (not a test):
 *   npx tsx src/engine/snapshots/apply-layer.bench.ts [totalMiB=100] [meanFileKiB=48]
 * (BERTH_BENCH_DIR picks the filesystem; default the OS temp dir)
 * Generates a layer of random-sized files in a few hundred directories,
 * applies it (plain, then gzip-compressed through decompressedStream) into a
 * temp dir, and prints MB/s of uncompressed tar.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { LinuxHost, RecordingHost } from '../../host';
import { applyLayer } from './apply-layer';
import { decompressedStream } from './compression';
import { buildTar, type TarSpec } from './test-tars';

async function main(): Promise<void> {
  const totalMiB = Number(process.argv[2] ?? 100);
  const meanKiB = Number(process.argv[3] ?? 48);
  const entries: TarSpec[] = [];
  const noise = randomBytes(1 << 20);
  let total = 0;
  for (let d = 0; total < totalMiB * 1024 * 1024; d++) {
    entries.push({ name: `usr/lib/d${d}/`, type: 'directory' });
    for (let f = 0; f < 20 && total < totalMiB * 1024 * 1024; f++) {
      const size = Math.floor(Math.random() * 2 * meanKiB * 1024);
      const off = Math.floor(Math.random() * (noise.length - size));
      entries.push({ name: `usr/lib/d${d}/f${f}.so`, content: noise.subarray(off, off + size), mode: 0o755 });
      total += size;
    }
  }
  const layer = buildTar(entries);
  const files = entries.filter((e) => e.type === undefined).length;
  const host = process.getuid?.() === 0 ? new LinuxHost() : new RecordingHost();
  const mb = layer.length / 1e6;
  console.log(`layer: ${mb.toFixed(1)} MB, ${files} files`);

  for (const run of ['plain', 'plain', 'gzip']) {
    const dir = mkdtempSync(path.join(process.env.BERTH_BENCH_DIR ?? os.tmpdir(), 'berth-bench-'));
    try {
      const source = run === 'gzip' ? gzipSync(layer, { level: 1 }) : layer;
      const chunks = Array.from({ length: Math.ceil(source.length / 65536) }, (_, i) =>
        source.subarray(i * 65536, (i + 1) * 65536),
      );
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const stream = await decompressedStream(Readable.from(chunks, { objectMode: false }));
      await applyLayer(dir, stream, host);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      console.log(`${run}: ${s.toFixed(2)} s, ${(mb / s).toFixed(0)} MB/s (cpu ${cpuS.toFixed(2)} s)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
