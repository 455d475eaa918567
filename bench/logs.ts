/**
 * Log throughput (issue 4): a container writes 100 MB of short lines to
 * stdout; we time (1) from `run -d` until it has exited (the shim turning its
 * output into json-file lines) and (2) `logs` reading all of it back. Docker's
 * json-file path took 37.7 s and 111.7 s here (issue 4's figures); the target
 * is at least ten times faster for both. The same with dockerd where installed.
 */
import { spawn } from 'node:child_process';
import { fixtures } from '../scripts/make-fixtures';
import { berth, DOCKER, docker } from '../test/helpers/cli';
import { fmtMs, time, withBerthd, withDockerd } from './common';

const MB = Number(process.env.BENCH_LOG_MB ?? 100);
const IMAGE = 'berth-test/busybox:latest';
// ~40-byte lines, like a chatty service: `yes` repeats one line until head cuts it at MB.
const WRITER = `yes "0123456789 abcdefghij log line of text" | head -c ${MB * 1000 * 1000}`;

type Cli = (args: string[]) => Promise<{ code: number | null; stderr: string; stdout: string }>;

async function must(p: Promise<{ code: number | null; stderr: string; stdout: string }>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`benchmark command failed: ${r.stderr}`);
  return r.stdout;
}

/** `logs NAME` with stdout drained (not buffered in memory), for host/CLI `file` with `args`. */
function drainLogs(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`logs exited ${code}`))));
  });
}

async function measure(label: string, cli: Cli, logsArgv: (name: string) => [string, string[]], extra: string[]) {
  const name = `bench-logs-${Date.now()}`;
  const write = await time(async () => {
    await must(cli(['run', '-d', '--name', name, ...extra, IMAGE, 'sh', '-c', WRITER]));
    await must(cli(['wait', name]));
  });
  let bytes = 0;
  const [file, args] = logsArgv(name);
  const read = await time(async () => {
    bytes = await drainLogs(file, args);
  });
  await cli(['rm', '-f', name]);
  console.log(
    `${label.padEnd(24)} write ${MB} MB: ${fmtMs(write)}   logs read back: ${fmtMs(read)} (${(bytes / 1e6).toFixed(0)} MB)`,
  );
  return { write, read };
}

export async function benchLogs(): Promise<void> {
  const f = await fixtures();
  console.log(`\n## logs: a container writes ${MB} MB of short lines; time to exit, time to read back`);
  const ours = await withBerthd(async (d) => {
    await must(berth(d.host, ['load', '-q', '-i', f.busybox]));
    return measure(
      'berth',
      (a) => berth(d.host, a),
      (n) => [process.execPath, [require.resolve('../bin/berth'), '-H', d.host, 'logs', n]],
      ['--network', 'none'],
    );
  });
  const ref = await withDockerd(async (r) => {
    await must(docker(r.host, ['load', '-q', '-i', f.busybox]));
    return measure(
      'dockerd',
      (a) => docker(r.host, a),
      (n) => [DOCKER, ['-H', r.host, 'logs', n]],
      ['--pull', 'never', '--network', 'none'],
    );
  });
  const target = { write: 37_700 / 10, read: 111_700 / 10 };
  console.log(
    `targets (10x Docker's 37.7 s / 111.7 s): write <= ${fmtMs(target.write)} ${ours.write <= target.write ? 'met' : 'NOT met'}, read <= ${fmtMs(target.read)} ${ours.read <= target.read ? 'met' : 'NOT met'}` +
      (ref
        ? `; vs this dockerd: write ${(ref.write / ours.write).toFixed(1)}x, read ${(ref.read / ours.read).toFixed(1)}x faster`
        : ''),
  );
}
