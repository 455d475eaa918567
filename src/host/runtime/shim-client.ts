/**
 * A client of one shim's socket (`<bundle>/shim.sock`, line protocol of
 * docs/design/0002-native-core.md §4). The shim answers each connection in
 * order, but `wait` and `attach` turn a connection into a stream and `stdin`
 * is unacknowledged, so the client uses one connection per role: a control
 * connection for request/reply (state, kill, delete), one per wait or attach,
 * and one for stdin (data and close-stdin on the same connection keep their
 * order). The shim serves 32 connections at once.
 *
 * Socket paths longer than sun_path (108 bytes) are reached through an open
 * directory fd: `/proc/self/fd/<fd>/shim.sock` is resolved by the kernel like
 * any path, so only the short string has to fit.
 */
import { closeSync, constants as fsc, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { errnoCode } from '../../common/errors';
import { decodeField, decodeFieldBytes, encodeLine, splitLine } from './fields';

export const SHIM_SOCKET = 'shim.sock';
const SUN_PATH_MAX = 107;
const STDIN_CHUNK = 64 * 1024;

export type ShimState =
  | { status: 'running'; pid: number }
  | { status: 'exited'; pid: number; code: number; signal: number };

export interface ShimExit {
  code: number;
  signal: number;
  time: string;
  oom: boolean | undefined;
}

export type ShimOutput = { stream: 'stdout' | 'stderr'; data: Buffer };

/** The shim is not there (socket missing or refusing): read the exit file instead. */
export class ShimGoneError extends Error {
  override name = 'ShimGoneError';
  readonly code: string;
  constructor(bundleDir: string, code: string) {
    super(`no shim for ${bundleDir} (${code})`);
    this.code = code;
  }
}

/** The shim answered `error <errno> <message>`. */
export class ShimRequestError extends Error {
  override name = 'ShimRequestError';
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

export class ShimProtocolError extends Error {
  override name = 'ShimProtocolError';
}

/** One socket with a line reader; `next()` yields lines (split into raw fields) in order. */
export class LineConnection {
  private buffer = '';
  private readonly lines: string[][] = [];
  private waiter: ((line: string[] | undefined) => void) | undefined;
  private ended = false;
  private failure: Error | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => {
      this.failure = err;
      this.finish();
    });
    socket.on('close', () => this.finish());
  }

  static async open(bundleDir: string): Promise<LineConnection> {
    const full = path.join(bundleDir, SHIM_SOCKET);
    let dirFd: number | undefined;
    let target = full;
    if (Buffer.byteLength(full) > SUN_PATH_MAX) {
      try {
        dirFd = openSync(bundleDir, fsc.O_RDONLY | fsc.O_DIRECTORY);
      } catch (err) {
        throw new ShimGoneError(bundleDir, errnoCode(err) ?? 'ENOENT');
      }
      target = `/proc/self/fd/${dirFd}/${SHIM_SOCKET}`;
    }
    try {
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(target);
        s.once('connect', () => {
          s.removeListener('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      const conn = new LineConnection(socket);
      const hello = await conn.next();
      if (hello === undefined) throw new ShimGoneError(bundleDir, 'ECONNRESET');
      if (hello[0] !== 'berth-shim' || hello[1] !== '1') {
        conn.close();
        throw new ShimProtocolError(`shim: unexpected greeting ${hello.join(' ')}`);
      }
      return conn;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTDIR') {
        throw new ShimGoneError(bundleDir, code);
      }
      throw err;
    } finally {
      if (dirFd !== undefined) closeSync(dirFd);
    }
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      try {
        this.push(splitLine(line));
      } catch (err) {
        this.failure = new ShimProtocolError(`shim: ${(err as Error).message}`);
        this.socket.destroy();
        return;
      }
      nl = this.buffer.indexOf('\n');
    }
  }

  private push(line: string[]): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(line);
    } else {
      this.lines.push(line);
    }
  }

  private finish(): void {
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }

  /** The next line, or undefined once the shim closed the connection. */
  next(): Promise<string[] | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * Sends a request. A shim that went away meanwhile (its container exited at once: EPIPE,
   * ECONNRESET, a closed socket) is a ShimGoneError, so callers read the exit file instead.
   */
  send(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new ShimGoneError('(connection)', 'EPIPE'));
        return;
      }
      this.socket.write(`${line}\n`, 'latin1', (err) => {
        if (!err) resolve();
        else if (isGone(err)) reject(new ShimGoneError('(connection)', (err as NodeJS.ErrnoException).code ?? 'EPIPE'));
        else reject(err);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function parseExit(f: string[]): ShimExit {
  const oom = f[4];
  if (
    f.length !== 5 ||
    !/^\d+$/.test(f[1] ?? '') ||
    !/^\d+$/.test(f[2] ?? '') ||
    (oom !== '0' && oom !== '1' && oom !== 'unknown')
  ) {
    throw new ShimProtocolError(`shim: bad exit line ${f.join(' ')}`);
  }
  return {
    code: Number(f[1]),
    signal: Number(f[2]),
    time: decodeField(f[3] as string),
    oom: oom === 'unknown' ? undefined : oom === '1',
  };
}

export function replyError(f: string[]): ShimRequestError {
  return new ShimRequestError(Number(f[1] ?? 0), f[2] === undefined ? 'shim error' : decodeField(f[2]));
}

/** A client of one bundle's shim. Create with `ShimClient.connect`. */
export class ShimClient {
  private control: LineConnection;
  private queue: Promise<unknown> = Promise.resolve();
  private stdin: Promise<LineConnection> | undefined;
  private stdinError: ShimRequestError | undefined;
  private stdinCloseWaiter: ((ok: boolean) => void) | undefined;
  private readonly others = new Set<LineConnection>();

  private constructor(
    readonly bundleDir: string,
    control: LineConnection,
  ) {
    this.control = control;
  }

  /** Connects (throws ShimGoneError when no shim serves the bundle). */
  static async connect(bundleDir: string): Promise<ShimClient> {
    return new ShimClient(bundleDir, await LineConnection.open(bundleDir));
  }

  /** One request on the control connection, one reply line; requests are serialized. */
  private request(line: string): Promise<string[]> {
    const run = async (): Promise<string[]> => {
      await this.control.send(line);
      const reply = await this.control.next();
      if (reply === undefined) throw this.control.error ?? new ShimGoneError(this.bundleDir, 'ECONNRESET');
      if (reply[0] === 'error') throw replyError(reply);
      return reply;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async state(): Promise<ShimState> {
    const f = await this.request('state');
    if (f[0] === 'state' && f[1] === 'running' && f.length === 3) return { status: 'running', pid: Number(f[2]) };
    if (f[0] === 'state' && f[1] === 'exited' && f.length === 5) {
      return { status: 'exited', pid: Number(f[2]), code: Number(f[3]), signal: Number(f[4]) };
    }
    throw new ShimProtocolError(`shim: bad state reply ${f.join(' ')}`);
  }

  async kill(signal: number): Promise<void> {
    await this.expectOk(await this.request(encodeLine('kill', String(signal))));
  }

  /**
   * Sets the size of the container's pty (§8): ShimRequestError 25 (ENOTTY)
   * without a terminal, 22 for a size outside 0..65535.
   */
  async resize(rows: number, cols: number): Promise<void> {
    await this.expectOk(await this.request(encodeLine('resize', String(rows), String(cols))));
  }

  /** Asks the shim to exit now (refused with EBUSY while the init runs). */
  async delete(): Promise<void> {
    await this.expectOk(await this.request('delete'));
  }

  private async expectOk(f: string[]): Promise<void> {
    if (f[0] !== 'ok' || f.length !== 1) throw new ShimProtocolError(`shim: expected ok, got ${f.join(' ')}`);
  }

  private async stream(word: string): Promise<LineConnection> {
    const conn = await LineConnection.open(this.bundleDir);
    this.others.add(conn);
    conn.socket.on('close', () => this.others.delete(conn));
    await conn.send(word);
    return conn;
  }

  /**
   * Resolves with the exit once the init has exited. Rejects with
   * ShimGoneError when the shim went away without saying (read the exit file).
   */
  async wait(): Promise<ShimExit> {
    const conn = await this.stream('wait');
    try {
      for (;;) {
        const f = await conn.next();
        if (f === undefined) throw new ShimGoneError(this.bundleDir, 'ECONNRESET');
        if (f[0] === 'exit') return parseExit(f);
        if (f[0] === 'error') throw replyError(f);
        throw new ShimProtocolError(`shim: unexpected ${f[0]} while waiting`);
      }
    } finally {
      conn.close();
    }
  }

  /**
   * Live output from now on; the iterator returns the exit when the init has
   * exited, or undefined when the shim went away first.
   */
  async *attach(
    options: { signal?: AbortSignal; onAttached?: () => void } = {},
  ): AsyncGenerator<ShimOutput, ShimExit | undefined, void> {
    const { signal } = options;
    if (signal?.aborted) return undefined;
    const conn = await this.stream('attach');
    // An abort closes the connection: a pending next() then resolves with the end.
    const onAbort = () => conn.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) conn.close();
    try {
      const first = await conn.next();
      if (first === undefined) return undefined;
      if (first[0] === 'error') throw replyError(first);
      if (first[0] !== 'ok') throw new ShimProtocolError(`shim: expected ok to attach, got ${first[0]}`);
      options.onAttached?.();
      for (;;) {
        const f = await conn.next();
        if (f === undefined) return undefined;
        if ((f[0] === 'stdout' || f[0] === 'stderr') && f.length === 2) {
          yield { stream: f[0], data: decodeFieldBytes(f[1] as string) };
        } else if (f[0] === 'exit') {
          return parseExit(f);
        } else {
          throw new ShimProtocolError(`shim: unexpected ${f[0]} while attached`);
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      conn.close();
    }
  }

  private stdinConnection(): Promise<LineConnection> {
    if (this.stdin === undefined) {
      this.stdin = LineConnection.open(this.bundleDir).then((conn) => {
        this.others.add(conn);
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
    }
    return this.stdin;
  }

  /** Queues data for the container's stdin (rejects with EPIPE once stdin is closed). */
  async writeStdin(data: Uint8Array): Promise<void> {
    const conn = await this.stdinConnection();
    for (let off = 0; off < data.length; off += STDIN_CHUNK) {
      if (this.stdinError) throw this.stdinError;
      await conn.send(encodeLine('stdin', data.subarray(off, off + STDIN_CHUNK)));
    }
    if (this.stdinError) throw this.stdinError;
  }

  /** Closes the container's stdin once what was written before has been delivered. */
  async closeStdin(): Promise<void> {
    const conn = await this.stdinConnection();
    const done = new Promise<boolean>((resolve) => {
      this.stdinCloseWaiter = resolve;
    });
    await conn.send('close-stdin');
    if (!(await done)) throw new ShimGoneError(this.bundleDir, 'ECONNRESET');
  }

  /** Closes every connection of this client (the shim and the container go on). */
  close(): void {
    this.control.close();
    for (const c of this.others) c.close();
    this.others.clear();
    if (this.stdin)
      void this.stdin.then(
        (c) => c.close(),
        () => undefined,
      );
  }
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return (
    code === 'EPIPE' ||
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_DESTROYED' ||
    code === 'ERR_STREAM_WRITE_AFTER_END'
  );
}
