/**
 * Image benchmarks: `load -i` of a generated 200 MB, 4-layer docker-archive
 * and `import` of a 200 MB rootfs tarball, in MB/s (medians), with berth's CLI
 * and the docker CLI on berthd, and the docker CLI on a private dockerd.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { berth, docker } from '../test/helpers/cli';
import { generateArchive } from './archive';
import { hasDocker, median, time, withBerthd, withDockerd } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZE_MB = Number(process.env.BENCH_MB ?? 200);

type Cli = (args: string[]) => Promise<{ code: number | null; stderr: string; stdout: string }>;

async function ok(p: Promise<{ code: number | null; stderr: string }>): Promise<void> {
  const r = await p;
  if (r.code !== 0) throw new Error(`benchmark command failed: ${r.stderr}`);
}

async function measure(label: string, cli: Cli, bytes: number, archive: string, rootfs: string, reference: string) {
  const loads: number[] = [];
  const imports: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    loads.push(await time(() => ok(cli(['load', '-q', '-i', archive]))));
    await cli(['rmi', '-f', reference]);
    imports.push(await time(() => ok(cli(['import', rootfs, 'bench/import:latest']))));
    await cli(['rmi', '-f', 'bench/import:latest']);
  }
  const loadMBs = bytes / 1e6 / (median(loads) / 1000);
  const importMBs = bytes / 1e6 / (median(imports) / 1000);
  console.log(
    `${label.padEnd(24)} load ${median(loads).toFixed(0).padStart(6)} ms ${loadMBs.toFixed(1).padStart(7)} MB/s   import ${median(imports).toFixed(0).padStart(6)} ms ${importMBs.toFixed(1).padStart(7)} MB/s`,
  );
  return { loadMBs, importMBs };
}

export async function benchImages(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  try {
    console.log(`\n## images: ${SIZE_MB} MB archive, ${RUNS} runs each, medians`);
    const gen = await generateArchive(work, SIZE_MB, 4);
    const args = [gen.bytes, gen.archive, gen.rootfs, gen.reference] as const;
    const viaDocker = await withBerthd(async (d) => {
      await measure('berth CLI -> berthd', (a) => berth(d.host, a), ...args);
      return hasDocker ? measure('docker CLI -> berthd', (a) => docker(d.host, a), ...args) : undefined;
    });
    const ref = await withDockerd((r) => measure('docker CLI -> dockerd', (a) => docker(r.host, a), ...args));
    if (ref && viaDocker) {
      console.log(
        `ratio berthd/dockerd (docker CLI, throughput): load ${(viaDocker.loadMBs / ref.loadMBs).toFixed(2)}x, import ${(viaDocker.importMBs / ref.importMBs).toFixed(2)}x`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
