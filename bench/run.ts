/**
 * berth's benchmarks. `npm run bench` (as root) runs them all; `npm run bench -- load`
 * runs one. Each prints medians and, where a dockerd is installed, the same
 * figure measured on a private dockerd with the same client, and the ratio.
 *
 *   load    `load -i` of a generated 200 MB, 4-layer docker-archive, in MB/s
 *   import  `import` of a 200 MB rootfs tarball, in MB/s
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { berth, DOCKER, docker } from '../test/helpers/cli';
import { startDaemon } from '../test/helpers/daemon';
import { generateArchive } from './archive';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZE_MB = Number(process.env.BENCH_MB ?? 200);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timed(fn: () => Promise<{ code: number | null; stderr: string }>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(`benchmark command failed: ${r.stderr}`);
  return ms;
}

type Cli = (args: string[]) => Promise<{ code: number | null; stderr: string; stdout: string }>;

async function measure(label: string, cli: Cli, bytes: number, archive: string, rootfs: string, reference: string) {
  const results: Record<string, number> = {};
  const loads: number[] = [];
  const imports: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    loads.push(await timed(() => cli(['load', '-q', '-i', archive])));
    await cli(['rmi', '-f', reference]);
    imports.push(await timed(() => cli(['import', rootfs, 'bench/import:latest'])));
    await cli(['rmi', '-f', 'bench/import:latest']);
  }
  results.loadMBs = bytes / 1e6 / (median(loads) / 1000);
  results.importMBs = bytes / 1e6 / (median(imports) / 1000);
  console.log(
    `${label.padEnd(28)} load ${median(loads).toFixed(0).padStart(6)} ms  ${results.loadMBs.toFixed(1).padStart(7)} MB/s   import ${median(imports).toFixed(0).padStart(6)} ms  ${results.importMBs.toFixed(1).padStart(7)} MB/s`,
  );
  return results;
}

async function withDockerd<T>(fn: (host: string) => Promise<T>): Promise<T | undefined> {
  if (!existsSync('/usr/sbin/dockerd') || !existsSync(DOCKER)) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dockerd-'));
  const sock = path.join(dir, 'docker.sock');
  const child = spawn(
    '/usr/sbin/dockerd',
    [
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '-H',
      `unix://${sock}`,
      '--pidfile',
      path.join(dir, 'docker.pid'),
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      '--ip-forward=false',
    ],
    { stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 50; i++) {
      if ((await docker(`unix://${sock}`, ['version'])).code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return await fn(`unix://${sock}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    spawnSync('umount', ['-R', path.join(dir, 'data')], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (process.getuid?.() !== 0) {
    console.error('the benchmarks need root (overlay layers, device nodes)');
    process.exit(1);
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  try {
    console.log(`generating a ${SIZE_MB} MB archive...`);
    const gen = await generateArchive(work, SIZE_MB, 4);
    console.log(`runs: ${RUNS} each, medians; ${(gen.bytes / 1e6).toFixed(0)} MB of layer content\n`);
    const d = await startDaemon({ logLevel: 'warn', env: { BERTH_TEST_DAEMON: 'dist' } });
    let ours: Record<string, number>;
    let viaDocker: Record<string, number> | undefined;
    try {
      ours = await measure(
        'berth CLI -> berthd',
        (a) => berth(d.host, a),
        gen.bytes,
        gen.archive,
        gen.rootfs,
        gen.reference,
      );
      if (existsSync(DOCKER)) {
        viaDocker = await measure(
          'docker CLI -> berthd',
          (a) => docker(d.host, a),
          gen.bytes,
          gen.archive,
          gen.rootfs,
          gen.reference,
        );
      }
    } finally {
      await d.stop();
    }
    const ref = await withDockerd((host) =>
      measure('docker CLI -> dockerd', (a) => docker(host, a), gen.bytes, gen.archive, gen.rootfs, gen.reference),
    );
    if (ref) {
      const base = viaDocker ?? ours;
      console.log(
        `\nratio (docker CLI, berthd vs dockerd): load ${(base.loadMBs! / ref.loadMBs!).toFixed(2)}x  import ${(base.importMBs! / ref.importMBs!).toFixed(2)}x faster`,
      );
    } else {
      console.log('\n(no dockerd installed: no reference figures)');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
