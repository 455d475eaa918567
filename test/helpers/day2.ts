/**
 * Helpers for the day-2 e2e tests (events, stats, pause, restart policies):
 * polling, the host-side view of a container (its cgroup files, its files
 * through /proc/<pid>/root), and a per-daemon leak check that is safe while
 * other suites run (it only looks at this daemon's roots and container IDs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestDaemon } from './daemon';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined (or times out with `what`). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last !== undefined) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The v1 cgroup directory of `pid` in `controller`'s hierarchy. */
export function cgroupDirOf(pid: number, controller: string): string {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, controllers, rel] = line.split(':');
    if (controllers?.split(',').includes(controller) && rel !== undefined) {
      return path.join('/sys/fs/cgroup', controllers, rel);
    }
  }
  throw new Error(`no ${controller} cgroup for ${pid}`);
}

/** Mounts, processes and cgroups left behind by this daemon's containers (`ids`). */
export function daemonLeaks(d: TestDaemon, ids: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp !== undefined && (mp.startsWith(d.execRoot) || mp.startsWith(d.dataRoot))) leaks.push(`mount ${mp}`);
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(d.execRoot) && ids.some((id) => cmd.includes(id))) leaks.push(`process ${pid}`);
    } catch {
      // gone
    }
  }
  const seen = new Set(ids);
  const walk = (dir: string, depth: number) => {
    if (depth > 6 || !existsSync(dir)) return;
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      const id = ent.name.replace(/^berth-(test-)?/, '');
      if (seen.has(id)) leaks.push(`cgroup ${path.join(dir, ent.name)}`);
      else walk(path.join(dir, ent.name), depth + 1);
    }
  };
  walk('/sys/fs/cgroup/memory', 0);
  return leaks;
}
