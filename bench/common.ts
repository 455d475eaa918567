/** Shared pieces of the benchmarks: medians, timing, a private berthd and a private reference dockerd. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DOCKER } from '../test/helpers/cli';
import { startDaemon, type TestDaemon } from '../test/helpers/daemon';
import { type ReferenceDockerd, requireDockerd, startDockerd } from '../test/helpers/dockerd';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Milliseconds `fn` takes. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Runs a command to completion; throws with its stderr when it fails. */
export function exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${file} ${args.join(' ')}: exit ${code}: ${err}`)),
    );
  });
}

/** Median of `runs` timings of `fn`, in ms. */
export async function medianOf(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await time(fn));
  return median(xs);
}

export async function withBerthd<T>(fn: (d: TestDaemon) => Promise<T>): Promise<T> {
  // The bundled daemon, as users run it.
  const d = await startDaemon({ logLevel: 'warn', env: { BERTH_TEST_DAEMON: 'dist' } });
  try {
    return await fn(d);
  } finally {
    await d.stop();
  }
}

export async function withDockerd<T>(fn: (d: ReferenceDockerd) => Promise<T>): Promise<T | undefined> {
  if (requireDockerd() !== false) return undefined;
  const d = await startDockerd();
  try {
    return await fn(d);
  } finally {
    await d.stop();
  }
}

export const hasDocker = existsSync(DOCKER);

/** RSS of a process in KiB (VmRSS from /proc). */
export async function rssKiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
