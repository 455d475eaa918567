/**
 * Runs the real CLIs as a user would: `bin/berth` (the bundle) and the real
 * `docker` client, each against a given daemon socket.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(REPO, 'dist', 'berth.cjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

let built = false;
/** Builds dist/ once per test process when it is missing or older than the sources. */
export function ensureBuilt(): void {
  if (built) return;
  const stale = !existsSync(BUNDLE) || statSync(BUNDLE).mtimeMs < newestSource(path.join(REPO, 'src'));
  if (stale) {
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('building dist/ failed');
  }
  built = true;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const ent of require('node:fs').readdirSync(dir, { withFileTypes: true }) as import('node:fs').Dirent[]) {
    const p = path.join(dir, ent.name);
    newest = Math.max(newest, ent.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export interface RunOptions {
  input?: Buffer | string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

function run(file: string, args: readonly string[], options: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);
  });
}

/** `berth -H <host> args...` */
export function berth(host: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  ensureBuilt();
  return run(process.execPath, [path.join(REPO, 'bin', 'berth'), '-H', host, ...args], options);
}

export const DOCKER = '/usr/local/bin/docker';

/** The real docker CLI: `docker -H <host> args...`, with no buildx plugin and no user config. */
export function docker(host: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return run(DOCKER, ['-H', host, ...args], {
    ...options,
    env: {
      DOCKER_CONFIG: path.join(REPO, 'test', 'fixtures', 'docker-config'),
      DOCKER_CLI_HINTS: 'false',
      ...options.env,
    },
  });
}
