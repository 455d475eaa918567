/**
 * Network benchmarks (issue 5): the cost of networking in `run --rm true`
 * (--network none, the default bridge, a user network), TCP throughput
 * host→container through a published port on 127.0.0.1 (userland proxy) and
 * container→container on a user network (busybox nc). Traffic stays on
 * 127.0.0.1 and berth's bridges. The reference dockerd runs with
 * --bridge=none --iptables=false, so only its `--network none` figure exists.
 */
import net from 'node:net';
import { fixtures } from '../scripts/make-fixtures';
import { berth, docker } from '../test/helpers/cli';
import { importProbeImage, PROBE_IMAGE } from '../test/helpers/probe-image';
import { fmtMs, medianOf, time, withBerthd, withDockerd } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const MIB = Number(process.env.BENCH_NET_MIB ?? 256);

type Result = { code: number | null; stderr: string; stdout: string };

async function must(p: Promise<Result>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`benchmark command failed: ${r.stderr}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Sends `bytes` zeros to 127.0.0.1:port (retrying the connect) and resolves once the peer closed. */
async function send(port: number, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(1 << 20);
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<number>((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        let start = 0;
        sock.once('error', reject);
        sock.once('connect', () => {
          start = performance.now();
          let left = bytes;
          const pump = () => {
            while (left > 0) {
              left -= chunk.length;
              if (!sock.write(chunk)) {
                sock.once('drain', pump);
                return;
              }
            }
            sock.end();
          };
          pump();
        });
        sock.on('data', () => undefined);
        sock.once('close', (hadError) => (hadError ? reject(new Error('reset')) : resolve(performance.now() - start)));
      });
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const mbps = (bytes: number, ms: number) => `${(bytes / (1 << 20) / (ms / 1000)).toFixed(0)} MiB/s`;

export async function benchNetwork(): Promise<void> {
  console.log(`\n## network: ${RUNS} runs each, medians; ${MIB} MiB per throughput run`);
  await withBerthd(async (d) => {
    const b = (a: string[]) => berth(d.host, a);
    await importProbeImage(d.host);
    const netName = 'berth-test-bench';
    await must(b(['network', 'create', netName]));
    try {
      const none = await medianOf(RUNS, () => must(b(['run', '--rm', '--network', 'none', PROBE_IMAGE, 'true'])));
      const bridge = await medianOf(RUNS, () => must(b(['run', '--rm', PROBE_IMAGE, 'true'])));
      const user = await medianOf(RUNS, () => must(b(['run', '--rm', '--network', netName, PROBE_IMAGE, 'true'])));
      console.log(
        `${'berthd run --rm true'.padEnd(24)} none ${fmtMs(none)}, bridge ${fmtMs(bridge)} (+${fmtMs(bridge - none)}), user network ${fmtMs(user)} (+${fmtMs(user - none)})`,
      );
      const withPort = await medianOf(RUNS, () => must(b(['run', '--rm', '-p', '127.0.0.1::80', PROBE_IMAGE, 'true'])));
      console.log(`${'  with -p 127.0.0.1::80'.padEnd(24)} ${fmtMs(withPort)}`);

      // host → container through the published port (userland proxy on loopback).
      const bytes = MIB << 20;
      const rates: number[] = [];
      for (let i = 0; i < 3; i++) {
        const port = await freePort();
        const name = `bench-sink-${i}`;
        await must(
          b([
            'run',
            '-d',
            '--name',
            name,
            '-p',
            `127.0.0.1:${port}:5001`,
            PROBE_IMAGE,
            'sh',
            '-c',
            'sleep 3600 | nc -l -p 5001 >/dev/null',
          ]),
        );
        rates.push(await send(port, bytes));
        await must(b(['rm', '-f', name]));
      }
      rates.sort((x, y) => x - y);
      console.log(
        `${'TCP host→container'.padEnd(24)} ${mbps(bytes, rates[1] ?? Number.NaN)} (published port on 127.0.0.1)`,
      );

      // container → container on the user network: the client's run minus an idle run of the same shape.
      const c2c: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sink = `bench-c2c-${i}`;
        await must(
          b([
            'run',
            '-d',
            '--name',
            sink,
            '--network',
            netName,
            PROBE_IMAGE,
            'sh',
            '-c',
            'sleep 3600 | nc -l -p 5001 >/dev/null',
          ]),
        );
        await new Promise((r) => setTimeout(r, 300));
        const total = await time(() =>
          must(
            b([
              'run',
              '--rm',
              '--network',
              netName,
              PROBE_IMAGE,
              'sh',
              '-c',
              `dd if=/dev/zero bs=1048576 count=${MIB} 2>/dev/null | nc ${sink} 5001`,
            ]),
          ),
        );
        const idle = await time(() =>
          must(
            b([
              'run',
              '--rm',
              '--network',
              netName,
              PROBE_IMAGE,
              'sh',
              '-c',
              'dd if=/dev/zero bs=1048576 count=1 2>/dev/null >/dev/null',
            ]),
          ),
        );
        c2c.push(total - idle);
        await must(b(['rm', '-f', sink]));
      }
      c2c.sort((x, y) => x - y);
      console.log(
        `${'TCP container→container'.padEnd(24)} ${mbps(bytes, c2c[1] ?? Number.NaN)} (veth → bridge → veth, busybox nc)`,
      );
    } finally {
      await b(['network', 'rm', netName]);
    }
  });
  const f = await fixtures();
  await withDockerd(async (r) => {
    await must(docker(r.host, ['load', '-q', '-i', f.busybox]));
    const t = await medianOf(RUNS, () =>
      must(
        docker(r.host, ['run', '--rm', '--pull', 'never', '--network', 'none', 'berth-test/busybox:latest', 'true']),
      ),
    );
    console.log(
      `${'dockerd run --rm true'.padEnd(24)} none ${fmtMs(t)} (dockerd runs with --bridge=none: no bridge or published-port figures)`,
    );
  });
}
