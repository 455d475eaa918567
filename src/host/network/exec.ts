/** Runs a helper program (ip, nft, sysctl, unshare, umount), optionally inside a netns via nsenter. */
import { spawn } from 'node:child_process';
import { internal } from '../../common/errors';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the program's stdin, which is then closed. */
  input?: string;
  /** Run inside this network namespace (path) with `nsenter --net=<path>`. */
  netns?: string;
  /** Kill the program after this long (default 30 s). */
  timeoutMs?: number;
}

/** argv prefixed with nsenter when a netns is given. */
export function netnsArgv(netns: string | undefined, argv: readonly string[]): string[] {
  return netns === undefined ? [...argv] : ['nsenter', `--net=${netns}`, '--', ...argv];
}

export function execFile(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const full = netnsArgv(options.netns, argv);
  const [cmd, ...args] = full;
  if (cmd === undefined) throw internal('empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(internal(`cannot run ${cmd}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Like execFile, but a non-zero exit is an error carrying the program's stderr. */
export async function execChecked(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  const r = await execFile(argv, options);
  if (r.code !== 0) {
    const where = options.netns === undefined ? '' : ` (in netns ${options.netns})`;
    throw internal(`${argv.join(' ')}${where} failed: ${r.stderr.trim() || `exit ${r.code ?? r.signal}`}`);
  }
  return r.stdout;
}
