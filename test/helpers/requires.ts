/**
 * Probes for what a test needs, so that it skips with the feature's name
 * instead of failing on a machine that lacks it. Usage:
 *   it('mounts an overlay', { skip: requireRoot() }, async () => { ... })
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const isRoot = process.getuid?.() === 0;

/** false when the test can run; otherwise the reason to skip. */
export function requireRoot(): string | false {
  return isRoot ? false : 'needs root (run the suite as root, as CI does)';
}

export function requireCommand(cmd: string): string | false {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  return r.status === 0 ? false : `needs the '${cmd}' command`;
}

export function requireFile(file: string, what: string): string | false {
  return existsSync(file) ? false : `needs ${what} (${file})`;
}

/** The first reason to skip among several requirements, or false. */
export function requireAll(...reasons: Array<string | false>): string | false {
  return reasons.find((r) => r !== false) ?? false;
}
