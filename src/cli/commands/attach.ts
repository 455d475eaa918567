/**
 * `attach`, and the attached session `run`, `start -a` (and `exec -it`)
 * share: the user's stdin to the container (raw terminal and detach keys in
 * TTY mode, half-close at EOF), the container's output to the user's
 * streams (raw for a TTY, demultiplexed otherwise), the TTY size at start and
 * on every SIGWINCH, and signal forwarding (`--sig-proxy`, non-TTY only).
 * Follows the docker CLI (cli/command/container/attach.go, hijack.go, tty.go).
 */
import type { AttachedContainer } from '../../client';
import { DEFAULT_DETACH_KEYS, DetachKeyScanner, detachKeyBytes } from '../../common/detach-keys';
import { type CliContext, CliExit, command } from '../command';
import {
  setRawTerminal,
  type TerminalInput,
  type TerminalOutput,
  type TtySize,
  terminalSize,
  watchTerminalSize,
} from '../tty';

/** What the docker CLI prints (as the error of `docker attach`) when the user detached. */
export const DETACHED_MESSAGE = 'read escape sequence';

export interface AttachedSessionOptions {
  /** The container (or exec) has a TTY: raw output, raw terminal, detach keys, resize. */
  tty: boolean;
  /** Send the user's stdin; otherwise the connection is half-closed at once. */
  stdin: boolean;
  /** `--detach-keys` ('' = ctrl-p,ctrl-q; an invalid spec falls back to it, as docker does). */
  detachKeys: string;
  /** Resizes the container's (or exec's) TTY. */
  resize?: (size: TtySize) => Promise<void>;
  /** Forwards a signal the CLI received (`--sig-proxy`, only without a TTY). */
  forwardSignal?: (signal: string) => Promise<void>;
}

export type SessionEnd = 'ended' | 'detached';

const PROXIED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** One attached connection driven from the user's terminal. */
export class AttachedSession {
  private readonly cleanups: Array<() => void> = [];
  private begun = false;
  private closed = false;
  /** 'detached' when the user typed the detach keys, 'ended' when the output ended. */
  readonly finished: Promise<SessionEnd>;
  private resolveFinished!: (end: SessionEnd) => void;

  constructor(
    private readonly ctx: CliContext,
    private readonly attached: AttachedContainer,
    private readonly options: AttachedSessionOptions,
  ) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  /** Starts copying output and input. Call before the start (the daemon holds the output until we read). */
  begin(): void {
    if (this.begun) return;
    this.begun = true;
    const { ctx, attached, options } = this;
    const stdin = ctx.stdin as TerminalInput;
    if (options.stdin && options.tty) this.cleanups.push(setRawTerminal(stdin));
    if (options.forwardSignal && !options.tty) this.cleanups.push(this.proxySignals(options.forwardSignal));
    const output = (async () => {
      for await (const chunk of attached.output) {
        if (chunk.stream === 'stderr') ctx.stderr.write(chunk.data);
        else ctx.stdout.write(chunk.data);
      }
    })();
    output.then(
      () => this.finish('ended'),
      () => this.finish('ended'),
    );
    if (options.stdin) this.pipeInput();
    else attached.closeWrite();
  }

  private pipeInput(): void {
    const { ctx, attached, options } = this;
    const input = ctx.stdin;
    const socket = attached.socket;
    const keys = options.tty ? (detachKeyBytes(options.detachKeys) ?? [...DEFAULT_DETACH_KEYS]) : [];
    const scanner = options.tty ? new DetachKeyScanner(keys) : undefined;
    const onData = (chunk: Buffer | string) => {
      const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      const { forward, detached } = scanner ? scanner.feed(data) : { forward: data, detached: false };
      if (forward.length > 0 && !socket.destroyed && !socket.writableEnded) {
        if (!socket.write(forward)) {
          input.pause();
          socket.once('drain', () => input.resume());
        }
      }
      if (detached) this.finish('detached');
    };
    const onEnd = () => {
      stop();
      attached.closeWrite();
    };
    const stop = () => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
    this.cleanups.push(stop);
  }

  private proxySignals(forward: (signal: string) => Promise<void>): () => void {
    const handlers = PROXIED_SIGNALS.map((sig) => {
      const h = () => {
        forward(sig.slice(3)).catch(() => {});
      };
      process.on(sig, h);
      return [sig, h] as const;
    });
    return () => {
      for (const [sig, h] of handlers) process.off(sig, h);
    };
  }

  /**
   * TTY and a terminal on stdout: sets the size now (with retries: the
   * process may be starting) and on every change. `redraw` first sends
   * h+1/w+1, so a program that already drew (a shell's prompt) draws again
   * (docker attach does this).
   */
  async monitorSize(redraw = false): Promise<void> {
    const { resize, tty } = this.options;
    const out = this.ctx.stdout as TerminalOutput;
    if (!tty || resize === undefined || this.closed) return;
    const size = terminalSize(out);
    if (size === undefined) return;
    const send = (s: TtySize) => resize(s).catch(() => false as const);
    if (redraw) await send({ height: size.height + 1, width: size.width + 1 });
    for (let attempt = 0; attempt < 5; attempt++) {
      if ((await send(size)) !== false) break;
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
    }
    if (this.closed) return;
    this.cleanups.push(watchTerminalSize(out, (s) => void send(s)));
  }

  private finish(end: SessionEnd): void {
    if (end === 'detached') this.attached.close();
    this.close();
    this.resolveFinished(end);
  }

  /** Restores the terminal and stops everything (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.cleanups.splice(0).reverse()) c();
  }
}

/** The docker CLI's check for `-it` (CheckTty). */
export function checkTty(ctx: CliContext, attachStdin: boolean, tty: boolean): void {
  if (tty && attachStdin && !(ctx.stdin as TerminalInput).isTTY) throw new CliExit('the input device is not a TTY', 1);
}

/** Resizes through the API. */
export function containerResizer(ctx: CliContext, id: string): (size: TtySize) => Promise<void> {
  return (size) => ctx.client().resizeContainer(id, { h: size.height, w: size.width });
}

/** Forwards signals through the API. */
export function containerSignaller(ctx: CliContext, id: string): (signal: string) => Promise<void> {
  return (signal) => ctx.client().killContainer(id, signal);
}

export const attachCommand = command(
  {
    name: 'attach',
    aliases: ['container attach'],
    usage: '[OPTIONS] CONTAINER',
    description: 'Attach local standard input, output, and error streams to a running container',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
      { name: 'no-stdin', kind: 'bool', help: 'Do not attach STDIN' },
      { name: 'sig-proxy', kind: 'bool', default: true, help: 'Proxy all received signals to the process' },
    ],
  },
  async (ctx, { flags, args }) => {
    const client = ctx.client();
    const name = args[0]!;
    // docker: the wait goes first, so the exit code is known even for a quick exit.
    const waiter = client.waitContainer(name, 'not-running');
    try {
      const inspectRunning = async () => {
        const info = await client.inspectContainer(name);
        if (!info.State.Running) throw new CliExit('cannot attach to a stopped container, start it first');
        if (info.State.Paused) throw new CliExit('cannot attach to a paused container, unpause it first');
        if (info.State.Restarting) {
          throw new CliExit('cannot attach to a restarting container, wait until it is running');
        }
        return info;
      };
      const info = await inspectRunning();
      const tty = info.Config.Tty;
      checkTty(ctx, !flags['no-stdin'], tty);
      const stdin = !flags['no-stdin'] && info.Config.OpenStdin;
      const attached = await client.attachContainer(info.Id, {
        stream: true,
        stdin,
        stdout: true,
        stderr: true,
        tty,
        ...(flags['detach-keys'] ? { detachKeys: flags['detach-keys'] } : {}),
      });
      const session = new AttachedSession(ctx, attached, {
        tty,
        stdin,
        detachKeys: flags['detach-keys'],
        resize: containerResizer(ctx, info.Id),
        ...(flags['sig-proxy'] ? { forwardSignal: containerSignaller(ctx, info.Id) } : {}),
      });
      try {
        await inspectRunning();
      } catch (err) {
        attached.close();
        throw err;
      }
      session.begin();
      await session.monitorSize(true);
      const end = await session.finished;
      if (end === 'detached') {
        waiter.cancel();
        throw new CliExit(DETACHED_MESSAGE, 1);
      }
      const result = await waiter.result;
      if (result.Error?.Message) throw new CliExit(result.Error.Message, 1);
      return result.StatusCode;
    } catch (err) {
      waiter.cancel();
      throw err;
    }
  },
);
