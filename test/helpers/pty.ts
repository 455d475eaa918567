/**
 * A program on a real pseudo-terminal, driven from a test: what it prints
 * (`output`), typing (`write`), window size changes (`resize`, which makes
 * the kernel send SIGWINCH), and its exit. Uses python3's pty module through
 * pty-bridge.py (no native npm module).
 *
 *   const t = spawnPty('node', ['bin/berth', '-H', host, 'run', '-it', img, 'sh']);
 *   await t.waitFor(/# $/);
 *   t.write('echo $((6*7))\r');
 *   await t.waitFor(/42/);
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const BRIDGE = path.join(__dirname, 'pty-bridge.py');

export interface PtyProcess {
  readonly child: ChildProcess;
  /** Everything printed so far (latin1, so bytes survive). */
  readonly output: string;
  /** Types bytes into the terminal. */
  write(data: string | Buffer): void;
  resize(rows: number, cols: number): void;
  /** Resolves with the output (from `from`) once `pattern` matches it; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<string>;
  /** The program's exit code (128+N when killed by signal N). */
  readonly exited: Promise<number | null>;
  kill(): void;
}

export function spawnPty(
  file: string,
  args: readonly string[],
  options: { rows?: number; cols?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): PtyProcess {
  const child = spawn('python3', [BRIDGE, String(options.rows ?? 24), String(options.cols ?? 80), file, ...args], {
    cwd: options.cwd ?? path.resolve(__dirname, '..', '..'),
    env: { ...process.env, TERM: 'xterm', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString('latin1');
    for (const l of listeners) l();
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin?.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      for (const l of listeners) l();
      resolve(code);
    });
  });
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const frame = (kind: string, payload: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(kind, 0, 'latin1');
    head.writeUInt32BE(payload.length, 1);
    child.stdin?.write(Buffer.concat([head, payload]));
  };
  return {
    child,
    get output() {
      return output;
    },
    write: (data) => frame('d', Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1')),
    resize: (rows, cols) => frame('r', Buffer.from(`${rows} ${cols}`)),
    waitFor: (pattern, opts = {}) =>
      new Promise((resolve, reject) => {
        const from = opts.from ?? 0;
        const check = () => {
          const text = output.slice(from);
          if (pattern.test(text)) {
            cleanup();
            resolve(text);
          } else if (ended) {
            cleanup();
            reject(new Error(`exited before ${pattern} was printed; output:\n${JSON.stringify(output)}\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output:\n${JSON.stringify(output)}\n${stderr}`));
        }, opts.timeoutMs ?? 15_000);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}
