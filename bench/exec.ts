/**
 * Exec latency (issue 4): `exec CONTAINER true` with the docker CLI on
 * berthd and on a private dockerd (the target: berthd at most half of
 * dockerd's), with berth's own CLI, and the API sequence alone (inspect,
 * create, hijacked start, inspect exec) as the docker CLI sends it.
 */

import { fixtures } from '../scripts/make-fixtures';
import { createExec, EngineClient, inspectExec, startExecAttached } from '../src/client';
import { berth, docker } from '../test/helpers/cli';
import { fmtMs, hasDocker, medianOf, withBerthd, withDockerd } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const IMAGE = 'berth-test/busybox:latest';
const NAME = 'bench-exec';

async function must(p: Promise<{ code: number | null; stderr: string; stdout: string }>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`benchmark command failed: ${r.stderr}`);
  return r.stdout;
}

export async function benchExec(): Promise<void> {
  const f = await fixtures();
  console.log(`\n## exec: ${RUNS} runs each, medians`);
  const viaDocker = await withBerthd(async (d) => {
    await must(berth(d.host, ['load', '-q', '-i', f.busybox]));
    await must(berth(d.host, ['run', '-d', '--name', NAME, '--network', 'none', IMAGE, 'sleep', '600']));
    try {
      const b = await medianOf(RUNS, () => must(berth(d.host, ['exec', NAME, 'true'])));
      console.log(`${'berth CLI -> berthd'.padEnd(24)} exec C true: ${fmtMs(b)}`);
      let dk = Number.NaN;
      if (hasDocker) {
        dk = await medianOf(RUNS, () => must(docker(d.host, ['exec', NAME, 'true'])));
        console.log(`${'docker CLI -> berthd'.padEnd(24)} exec C true: ${fmtMs(dk)}`);
      }
      const client = new EngineClient({ host: d.host });
      const api = await medianOf(RUNS, async () => {
        await client.inspectContainer(NAME);
        const id = await createExec(client, NAME, { Cmd: ['true'], AttachStdout: true, AttachStderr: true });
        const a = await startExecAttached(client, id, { tty: false });
        a.closeWrite();
        for await (const _ of a.output) {
          // drain
        }
        await inspectExec(client, id);
      });
      client.close();
      console.log(`${'API sequence'.padEnd(24)} ${fmtMs(api)} (inspect, create, start, inspect exec)`);
      return dk;
    } finally {
      await berth(d.host, ['rm', '-f', NAME]);
    }
  });
  const ref = await withDockerd(async (r) => {
    await must(docker(r.host, ['load', '-q', '-i', f.busybox]));
    await must(
      docker(r.host, ['run', '-d', '--pull', 'never', '--network', 'none', '--name', NAME, IMAGE, 'sleep', '600']),
    );
    try {
      const t = await medianOf(RUNS, () => must(docker(r.host, ['exec', NAME, 'true'])));
      console.log(`${'docker CLI -> dockerd'.padEnd(24)} exec C true: ${fmtMs(t)}`);
      return t;
    } finally {
      await docker(r.host, ['rm', '-f', NAME]);
    }
  });
  if (ref !== undefined && !Number.isNaN(viaDocker)) {
    console.log(`ratio: docker CLI exec on berthd / on dockerd = ${(viaDocker / ref).toFixed(2)} (target <= 0.50)`);
  }
}
