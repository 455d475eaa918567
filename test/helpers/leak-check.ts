/**
 * Run once after the whole suite: fails if any test left a mount, a process,
 * a cgroup or a temporary directory carrying the test prefix.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_PREFIX } from './names';

export function findLeaks(): string[] {
  const leaks: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint?.includes(TEST_PREFIX)) leaks.push(`mount ${mountPoint}`);
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (cmdline.includes(TEST_PREFIX)) leaks.push(`process ${pid}: ${cmdline.trim()}`);
  }
  for (const name of readdirSync(os.tmpdir())) {
    if (name.startsWith(TEST_PREFIX)) leaks.push(`directory ${path.join(os.tmpdir(), name)}`);
  }
  for (const hierarchy of safeReaddir('/sys/fs/cgroup')) {
    for (const name of walkCgroups(path.join('/sys/fs/cgroup', hierarchy), 4)) {
      // Test daemons name container cgroups berth-<id>; no production berthd runs beside the suite.
      if (/^berth-/.test(path.basename(name))) leaks.push(`cgroup ${name}`);
    }
  }
  // Network tests name their links bt<hex> and their nft tables berth-test-*.
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const line of (links.stdout ?? '').split('\n')) {
    const name = line.split(': ')[1]?.split('@')[0];
    // berth0 too: a test daemon that forgot its test names would leave the production bridge.
    if (name && (/^bt[0-9a-f]/.test(name) || name === 'berth0')) leaks.push(`link ${name}`);
  }
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  for (const line of (tables.stdout ?? '').split('\n')) {
    if (line.includes(TEST_PREFIX) || line.trim() === 'table inet berth') leaks.push(`nft ${line.trim()}`);
  }
  return leaks;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function walkCgroups(dir: string, depth: number): string[] {
  if (depth === 0) return [];
  const out: string[] = [];
  for (const ent of safeReaddirDirs(dir)) {
    const p = path.join(dir, ent);
    out.push(p, ...walkCgroups(p, depth - 1));
  }
  return out;
}

function safeReaddirDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

if (require.main === module) {
  const leaks = findLeaks();
  if (leaks.length > 0) {
    console.error(`leak check: ${leaks.length} leaked object(s):\n  ${leaks.join('\n  ')}`);
    process.exit(1);
  }
  console.log('leak check: nothing leaked');
}
