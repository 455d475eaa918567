/**
 * Container benchmarks (issue 3): `run --rm IMAGE true` three ways (berth's
 * CLI on berthd, the docker CLI on berthd, the docker CLI on a private
 * dockerd), create+start+wait through the API alone, 50 `run -d`
 * sequentially and 8 at a time and their removal, the daemon's and the
 * shims' memory; beside `runc run` and a bare `unshare ... chroot` as floors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixtures } from '../scripts/make-fixtures';
import { EngineClient } from '../src/client';
import { berth, docker } from '../test/helpers/cli';
import { exec, fmtMs, hasDocker, medianOf, rssKiB, time, withBerthd, withDockerd } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const MANY = Number(process.env.BENCH_MANY ?? 50);
const IMAGE = 'berth-test/busybox:latest';

type Cli = (args: string[]) => Promise<{ code: number | null; stderr: string; stdout: string }>;

async function must(p: Promise<{ code: number | null; stderr: string; stdout: string }>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`benchmark command failed: ${r.stderr}`);
  return r.stdout;
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** 50 `run -d` one after another, then 50 eight at a time; each batch removed with one `rm -f`. */
async function many(label: string, cli: Cli, extra: string[]): Promise<Record<string, number>> {
  const names = Array.from({ length: MANY }, (_, i) => `bench-${i}`);
  const run = (n: string) => must(cli(['run', '-d', '--name', n, ...extra, IMAGE, 'sleep', '600']));
  const seq = await time(async () => {
    for (const n of names) await run(n);
  });
  const rmSeq = await time(() => must(cli(['rm', '-f', ...names])));
  const par = await time(() => pool(names, 8, run));
  const out = { seq, rmSeq, par, rmPar: 0 };
  out.rmPar = await time(() => must(cli(['rm', '-f', ...names])));
  console.log(
    `${label.padEnd(24)} ${MANY}x run -d: sequential ${fmtMs(seq)}, 8 at a time ${fmtMs(par)}; rm -f of ${MANY}: ${fmtMs(rmSeq)} / ${fmtMs(rmPar(out))}`,
  );
  return out;
}
const rmPar = (o: { rmPar: number }) => o.rmPar;

/** A runc bundle and a plain rootfs from the busybox fixture, for the floors. */
async function floors(work: string, archive: string): Promise<void> {
  const rootfs = path.join(work, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  // The fixture is a docker-archive with one layer.
  spawnSync('tar', ['-xf', archive, '-C', work]);
  const manifest = JSON.parse(readFileSync(path.join(work, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
  spawnSync('tar', ['-xf', path.join(work, manifest[0]!.Layers[0]!), '-C', rootfs]);
  for (const d of ['proc', 'sys', 'dev']) mkdirSync(path.join(rootfs, d), { recursive: true });
  const unshare = await medianOf(RUNS, () =>
    exec('unshare', ['--fork', '--pid', '--mount', '--uts', '--ipc', '--net', 'chroot', rootfs, '/bin/true']),
  );
  console.log(`${'bare unshare + chroot'.padEnd(24)} ${fmtMs(unshare)}`);
  if (existsSync('/usr/sbin/runc')) {
    const bundle = path.join(work, 'bundle');
    mkdirSync(bundle);
    spawnSync('runc', ['spec'], { cwd: bundle });
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    spec.process.terminal = false;
    spec.process.args = ['/bin/true'];
    spec.root = { path: rootfs, readonly: true };
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    let i = 0;
    const runc = await medianOf(RUNS, () =>
      exec('runc', ['--root', path.join(work, 'runc-state'), 'run', '--bundle', bundle, `bench-${i++}`]),
    );
    console.log(`${'runc run'.padEnd(24)} ${fmtMs(runc)}`);
  }
  const node = await medianOf(RUNS, () => exec(process.execPath, ['-e', '0']));
  console.log(`${'node -e 0'.padEnd(24)} ${fmtMs(node)}`);
}

export async function benchContainers(): Promise<void> {
  const f = await fixtures();
  console.log(`\n## containers: ${RUNS} runs each, medians`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  try {
    const results = await withBerthd(async (d) => {
      await must(berth(d.host, ['load', '-q', '-i', f.busybox]));
      const b: Cli = (a) => berth(d.host, a);
      const viaBerth = await medianOf(RUNS, () => must(b(['run', '--rm', '--network', 'none', IMAGE, 'true'])));
      console.log(
        `${'berth CLI -> berthd'.padEnd(24)} run --rm true: ${fmtMs(viaBerth)} (--network none, as dockerd here)`,
      );
      let viaDocker = Number.NaN;
      if (hasDocker) {
        viaDocker = await medianOf(RUNS, () =>
          must(docker(d.host, ['run', '--rm', '--network', 'none', IMAGE, 'true'])),
        );
        console.log(`${'docker CLI -> berthd'.padEnd(24)} run --rm true: ${fmtMs(viaDocker)} (--network none)`);
      }
      const client = new EngineClient({ host: d.host });
      const api = await medianOf(RUNS, async () => {
        const { Id } = await client.createContainer(
          { Image: IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } },
          {},
        );
        const w = client.waitContainer(Id, 'next-exit');
        await w.ready;
        await client.startContainer(Id);
        await w.result;
        await client.removeContainer(Id, {});
      });
      client.close();
      console.log(`${'API create+start+wait'.padEnd(24)} ${fmtMs(api)} (+ rm)`);
      await many('berth CLI -> berthd', b, ['--network', 'none']);
      // Memory: the daemon and each shim with 20 containers running.
      const names = Array.from({ length: 20 }, (_, i) => `mem-${i}`);
      for (const n of names) await must(b(['run', '-d', '--name', n, IMAGE, 'sleep', '600']));
      const daemonRss = await rssKiB(d.pid);
      const shimPids = spawnSync('pgrep', ['-f', `berth-core create ${d.execRoot}`], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter((x) => x !== '')
        .map(Number);
      const shimRss = await Promise.all(shimPids.map(rssKiB));
      const meanShim = shimRss.reduce((a, x) => a + x, 0) / Math.max(1, shimRss.length);
      console.log(
        `${'memory'.padEnd(24)} berthd ${(daemonRss / 1024).toFixed(1)} MiB RSS with 20 containers; shim ${meanShim.toFixed(0)} KiB RSS each (${shimRss.length} shims)`,
      );
      await must(b(['rm', '-f', ...names]));
      return { viaBerth, viaDocker };
    });
    const ref = await withDockerd(async (r) => {
      await must(docker(r.host, ['load', '-q', '-i', f.busybox]));
      const dk: Cli = (a) => docker(r.host, a);
      const t = await medianOf(RUNS, () =>
        must(dk(['run', '--rm', '--pull', 'never', '--network', 'none', IMAGE, 'true'])),
      );
      console.log(`${'docker CLI -> dockerd'.padEnd(24)} run --rm true: ${fmtMs(t)} (--network none)`);
      await many('docker CLI -> dockerd', dk, ['--pull', 'never', '--network', 'none']);
      const shim = spawnSync('pgrep', ['-f', 'containerd-shim'], { encoding: 'utf8' }).stdout.trim();
      if (shim)
        console.log(
          `${''.padEnd(24)} (containerd-shim ${(await rssKiB(Number(shim.split('\n')[0]))).toFixed(0)} KiB RSS)`,
        );
      return t;
    });
    if (ref !== undefined) {
      console.log(
        `ratios: docker CLI on berthd / on dockerd = ${(results.viaDocker / ref).toFixed(2)} (target <= 0.20); berth CLI / docker on dockerd = ${(results.viaBerth / ref).toFixed(2)} (target <= 0.33)`,
      );
    }
    await floors(work, f.busybox);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
