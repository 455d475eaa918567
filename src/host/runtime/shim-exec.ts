/**
 * One exec process through its container's shim (docs/design/0002-native-core.md
 * §9.2): `exec <id> <plan>` on a control connection, `attach-exec` on a
 * connection of its own (output kept since the start, then `exec-exit`),
 * `stdin-exec`/`close-stdin-exec` on a third, opened on first use, so the
 * unacknowledged stdin lines never mix with the control replies
 * (`resize-exec`).
 */
import { decodeField, decodeFieldBytes, encodeLine } from './fields';
import { LineConnection, replyError, ShimGoneError, type ShimOutput, ShimProtocolError } from './shim-client';

const STDIN_CHUNK = 64 * 1024;

export interface ShimExecExit {
  /** 128 + signal when killed; 255 when the shim never reaped it. */
  code: number;
  signal: number;
}

/** `exec-error <id> <status> <step> <errno> <message>`: the process did not start. */
export class ShimExecError extends Error {
  override name = 'ShimExecError';
  constructor(
    /** Docker's: 127 (not found), 126 (cannot run), 125 (anything else). */
    readonly status: number,
    readonly step: string,
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

function parseExecExit(f: string[], id: string): ShimExecExit {
  if (f.length !== 4 || decodeField(f[1] as string) !== id || !/^\d+$/.test(f[2] ?? '') || !/^\d+$/.test(f[3] ?? '')) {
    throw new ShimProtocolError(`shim: bad exec-exit line ${f.join(' ')}`);
  }
  return { code: Number(f[2]), signal: Number(f[3]) };
}

/** A started exec: its host pid, its output, its stdin and its terminal. */
export class ShimExec {
  private stdinConn: Promise<LineConnection> | undefined;
  private stdinError: Error | undefined;
  private stdinCloseWaiter: ((ok: boolean) => void) | undefined;
  private readonly conns = new Set<LineConnection>();
  private controlQueue: Promise<unknown> = Promise.resolve();
  private collecting: Promise<void> | undefined;

  private constructor(
    readonly bundleDir: string,
    readonly id: string,
    readonly pid: number,
    readonly warnings: string[],
    private readonly control: LineConnection,
  ) {
    this.conns.add(control);
  }

  /**
   * Asks the shim of `bundleDir` to start exec `id` from the plan file
   * (absolute, or relative to the bundle). Rejects with ShimExecError when the
   * process could not start, ShimRequestError for a refused request (errno 3:
   * the container is not running), ShimGoneError when there is no shim.
   */
  static async start(bundleDir: string, id: string, planPath: string): Promise<ShimExec> {
    const control = await LineConnection.open(bundleDir);
    try {
      await control.send(encodeLine('exec', id, planPath));
      const warnings: string[] = [];
      for (;;) {
        const f = await control.next();
        if (f === undefined) throw control.error ?? new ShimGoneError(bundleDir, 'ECONNRESET');
        if (f[0] === 'warning' && f.length === 2) {
          warnings.push(decodeField(f[1] as string));
        } else if (f[0] === 'exec-started' && f.length === 3 && /^\d+$/.test(f[2] ?? '')) {
          return new ShimExec(bundleDir, id, Number(f[2]), warnings, control);
        } else if (f[0] === 'exec-error' && f.length === 6) {
          throw new ShimExecError(Number(f[2]), decodeField(f[3] as string), Number(f[4]), decodeField(f[5] as string));
        } else if (f[0] === 'error') {
          throw replyError(f);
        } else {
          throw new ShimProtocolError(`shim: unexpected reply to exec: ${f.join(' ').slice(0, 200)}`);
        }
      }
    } catch (err) {
      control.close();
      throw err;
    }
  }

  private async open(line: string): Promise<LineConnection> {
    const conn = await LineConnection.open(this.bundleDir);
    this.conns.add(conn);
    conn.socket.on('close', () => this.conns.delete(conn));
    await conn.send(line);
    return conn;
  }

  /**
   * The exec's output (what it wrote before this call included; call once),
   * then its exit. Returns undefined when the shim went away without saying.
   */
  async *output(): AsyncGenerator<ShimOutput, ShimExecExit | undefined, void> {
    const conn = await this.open(encodeLine('attach-exec', this.id));
    try {
      const first = await conn.next();
      if (first === undefined) return undefined;
      if (first[0] === 'error') throw replyError(first);
      if (first[0] !== 'ok') throw new ShimProtocolError(`shim: expected ok to attach-exec, got ${first[0]}`);
      for (;;) {
        const f = await conn.next();
        if (f === undefined) return undefined;
        if ((f[0] === 'stdout' || f[0] === 'stderr') && f.length === 2) {
          yield { stream: f[0], data: decodeFieldBytes(f[1] as string) };
        } else if (f[0] === 'exec-exit') {
          const exit = parseExecExit(f, this.id);
          this.collect();
          return exit;
        } else {
          throw new ShimProtocolError(`shim: unexpected ${f[0]} while attached to an exec`);
        }
      }
    } finally {
      conn.close();
    }
  }

  /** Resolves with the exit once the exec has exited and its output is drained. */
  async wait(): Promise<ShimExecExit> {
    const conn = await this.open(encodeLine('wait-exec', this.id));
    try {
      const f = await conn.next();
      if (f === undefined) throw new ShimGoneError(this.bundleDir, 'ECONNRESET');
      if (f[0] === 'error') throw replyError(f);
      if (f[0] !== 'exec-exit') throw new ShimProtocolError(`shim: unexpected ${f[0]} while waiting for an exec`);
      return parseExecExit(f, this.id);
    } finally {
      conn.close();
    }
  }

  /**
   * Tells the shim the exit has been taken (a `wait-exec` after the end, on
   * the control connection), so its slot in the shim's table (32) can be
   * reused. In the background; close() waits for it.
   */
  private collect(): void {
    if (this.collecting !== undefined) return;
    const run = async () => {
      await this.control.send(encodeLine('wait-exec', this.id));
      await this.control.next();
    };
    this.collecting = this.controlQueue.then(run, run).catch(() => undefined);
    this.controlQueue = this.collecting;
  }

  /** Sets the exec's terminal size (ShimRequestError errno 25 without a terminal). */
  resize(rows: number, cols: number): Promise<void> {
    const run = async () => {
      await this.control.send(encodeLine('resize-exec', this.id, String(rows), String(cols)));
      const f = await this.control.next();
      if (f === undefined) throw this.control.error ?? new ShimGoneError(this.bundleDir, 'ECONNRESET');
      if (f[0] === 'error') throw replyError(f);
      if (f[0] !== 'ok') throw new ShimProtocolError(`shim: expected ok to resize-exec, got ${f[0]}`);
    };
    const p = this.controlQueue.then(run, run);
    this.controlQueue = p.catch(() => undefined);
    return p;
  }

  private stdin(): Promise<LineConnection> {
    this.stdinConn ??= LineConnection.open(this.bundleDir).then((conn) => {
      this.conns.add(conn);
      void (async () => {
        for (;;) {
          const f = await conn.next();
          if (f === undefined) break;
          if (f[0] === 'error') this.stdinError = replyError(f);
          else if (f[0] === 'ok') {
            const w = this.stdinCloseWaiter;
            this.stdinCloseWaiter = undefined;
            w?.(true);
          }
        }
        const w = this.stdinCloseWaiter;
        this.stdinCloseWaiter = undefined;
        w?.(false);
      })();
      return conn;
    });
    return this.stdinConn;
  }

  /** Queues input for the exec (rejects once its stdin is closed). */
  async writeStdin(data: Uint8Array): Promise<void> {
    const conn = await this.stdin();
    for (let off = 0; off < data.length; off += STDIN_CHUNK) {
      if (this.stdinError) throw this.stdinError;
      await conn.send(encodeLine('stdin-exec', this.id, data.subarray(off, off + STDIN_CHUNK)));
    }
    if (this.stdinError) throw this.stdinError;
  }

  /** Closes the exec's stdin once what was written before has been delivered. */
  async closeStdin(): Promise<void> {
    const conn = await this.stdin();
    const done = new Promise<boolean>((resolve) => {
      this.stdinCloseWaiter = resolve;
    });
    await conn.send(encodeLine('close-stdin-exec', this.id));
    if (!(await done)) throw new ShimGoneError(this.bundleDir, 'ECONNRESET');
  }

  /**
   * Signals the exec's process (the shim has no request for it: Docker has no
   * API for it either; used when an attached client goes away and for health
   * check timeouts). Quietly does nothing once the process is gone.
   */
  kill(signal: NodeJS.Signals | number): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // already reaped
    }
  }

  /** Closes every connection (the exec goes on); the control one once a collect is through. */
  close(): void {
    const control = this.control;
    for (const c of this.conns) if (c !== control || this.collecting === undefined) c.close();
    this.conns.clear();
    if (this.collecting !== undefined) void this.collecting.then(() => control.close());
    if (this.stdinConn)
      void this.stdinConn.then(
        (c) => c.close(),
        () => undefined,
      );
  }
}
