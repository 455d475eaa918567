/**
 * A private reference dockerd (Debian's docker.io), for comparing behaviour
 * and for benchmark ratios: its own data and exec roots in a test directory,
 * no bridge and no iptables rules, so it touches nothing outside them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DOCKER, docker } from './cli';
import { testDir } from './names';

export const DOCKERD = '/usr/sbin/dockerd';

export interface ReferenceDockerd {
  host: string;
  stop(): Promise<void>;
}

/** false when a reference dockerd can run here; otherwise the reason to skip. */
export function requireDockerd(): string | false {
  if (!existsSync(DOCKERD)) return `needs a reference dockerd (${DOCKERD}, Debian's docker.io)`;
  if (!existsSync(DOCKER)) return `needs the docker CLI (${DOCKER})`;
  return false;
}

export async function startDockerd(): Promise<ReferenceDockerd> {
  const dir = testDir('dockerd');
  const sock = path.join(dir, 'docker.sock');
  const child = spawn(
    DOCKERD,
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
      '--ip6tables=false',
      '--ip-masq=false',
      '--ip-forward=false',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    spawnSync('umount', ['-R', '-l', path.join(dir, 'data')], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  const host = `unix://${sock}`;
  for (let i = 0; i < 200; i++) {
    if (existsSync(sock) && (await docker(host, ['version'])).code === 0) return { host, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('the reference dockerd did not start');
}
