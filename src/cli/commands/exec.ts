/**
 * `exec`: docker's sequence (cli/command/container/exec.go): inspect the
 * container first (its 404), create the exec, then start it detached or
 * hijacked; with a TTY the user's terminal goes raw, its size goes with the
 * start and after every SIGWINCH, and the CLI itself watches stdin for the
 * detach keys (ctrl-p ctrl-q). After the output ends, the exec is inspected
 * and its ExitCode is the CLI's.
 */
import type { Readable } from 'node:stream';
import {
  type AttachedExec,
  ClientError,
  createExec,
  inspectExec,
  resizeExec,
  startExecAttached,
  startExecDetached,
} from '../../client';
import { DEFAULT_DETACH_KEYS, DetachKeyScanner, detachKeyBytes } from '../../common/detach-keys';
import type { ExecCreateRequest } from '../../wire';
import { type CliContext, CliExit, command } from '../command';
import type { FlagSpec } from '../flags';
import { setRawTerminal, terminalSize, watchTerminalSize } from '../tty';
import { readKeyValueFile } from './container-opts';

const EXEC_FLAGS = [
  { name: 'detach', short: 'd', kind: 'bool', help: 'Detached mode: run command in the background' },
  { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
  { name: 'env', short: 'e', kind: 'list', help: 'Set environment variables' },
  { name: 'env-file', kind: 'list', help: 'Read in a file of environment variables' },
  { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
  { name: 'privileged', kind: 'bool', help: 'Give extended privileges to the command' },
  { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
  {
    name: 'user',
    short: 'u',
    kind: 'string',
    help: 'Username or UID (format: "<name|uid>[:<group|gid>]")',
  },
  { name: 'workdir', short: 'w', kind: 'string', help: 'Working directory inside the container' },
] as const satisfies readonly FlagSpec[];

/** -e NAME=value as given; -e NAME takes the CLI's value, and stays bare (an unset) when there is none. */
function envValues(values: readonly string[], env: NodeJS.ProcessEnv): string[] {
  return values.map((v) => {
    if (v.startsWith('=')) throw new CliExit(`invalid environment variable: ${v}`, 125);
    if (v.includes('=')) return v;
    const value = env[v];
    return value === undefined ? v : `${v}=${value}`;
  });
}

export const execCommand = command(
  {
    name: 'exec',
    aliases: ['container exec'],
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    minArgs: 2,
    interspersed: false,
    flags: EXEC_FLAGS,
  },
  async (ctx, { flags, args }) => {
    const [container = '', ...cmd] = args;
    const client = ctx.client();
    const detach = flags.detach;
    const tty = flags.tty;
    const interactive = flags.interactive && !detach;
    const detachKeys = flags['detach-keys'];
    if (detachKeys !== '' && detachKeyBytes(detachKeys) === undefined) {
      throw new CliExit(`Invalid detach keys (${detachKeys}) provided`, 125);
    }
    await client.inspectContainer(container);
    if (tty && interactive && !ctx.stdin.isTTY) throw new CliExit('the input device is not a TTY', 1);
    const size = tty ? terminalSize(ctx.stdout) : undefined;
    const body: ExecCreateRequest = {
      User: flags.user,
      Privileged: flags.privileged,
      Tty: tty,
      AttachStdin: interactive,
      AttachStdout: !detach,
      AttachStderr: !detach,
      DetachKeys: detachKeys,
      Env: [...flags['env-file'].flatMap((f) => readKeyValueFile(f, ctx.env, true)), ...envValues(flags.env, ctx.env)],
      WorkingDir: flags.workdir,
      Cmd: cmd,
    };
    if (size !== undefined) body.ConsoleSize = [size.height, size.width];
    const id = await createExec(client, container, body);
    if (detach) {
      await startExecDetached(client, id, tty);
      return 0;
    }
    const attached = await startExecAttached(client, id, {
      tty,
      ...(size !== undefined ? { consoleSize: [size.height, size.width] as [number, number] } : {}),
    });
    let stopWatching = () => {};
    if (tty && size !== undefined) {
      const resize = (s: { height: number; width: number }) => {
        resizeExec(client, id, { h: s.height, w: s.width }).catch(() => {});
      };
      resize(size);
      stopWatching = watchTerminalSize(ctx.stdout, resize);
    }
    const restore = tty && interactive ? setRawTerminal(ctx.stdin) : () => {};
    let detached = false;
    try {
      const output = pump(ctx, attached.output);
      if (interactive) {
        if (tty && ctx.stdin.isTTY) {
          const keys = detachKeys !== '' ? (detachKeyBytes(detachKeys) ?? []) : [...DEFAULT_DETACH_KEYS];
          forwardTerminal(ctx.stdin, attached, keys, () => {
            detached = true;
            attached.close();
          });
        } else {
          attached.pipeStdin(ctx.stdin);
        }
      } else {
        attached.closeWrite();
      }
      try {
        await output;
      } catch (err) {
        if (!detached) throw err;
      }
    } finally {
      stopWatching();
      restore();
      ctx.stdin.pause();
    }
    // As the docker CLI: the detach is reported as its escape error.
    if (detached) throw new CliExit('read escape sequence', 1);
    try {
      const info = await inspectExec(client, id);
      return info.ExitCode ?? 0;
    } catch (err) {
      if (err instanceof ClientError && err.isConnectionError) return 255;
      throw err;
    }
  },
);

async function pump(ctx: CliContext, output: AsyncIterable<{ stream: string; data: Buffer }>): Promise<void> {
  for await (const chunk of output) {
    if (chunk.stream === 'stderr') ctx.stderr.write(chunk.data);
    else ctx.stdout.write(chunk.data);
  }
}

/** The terminal's bytes to the exec, minus the detach sequence (which ends the session, the exec goes on). */
function forwardTerminal(input: Readable, attached: AttachedExec, keys: number[], onDetach: () => void): void {
  const scanner = new DetachKeyScanner(keys);
  const onData = (chunk: Buffer | string) => {
    const r = scanner.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (r.forward.length > 0 && !attached.socket.destroyed) attached.socket.write(r.forward);
    if (r.detached) {
      stop();
      onDetach();
    }
  };
  const onEnd = () => {
    const held = scanner.flush();
    if (held.length > 0 && !attached.socket.destroyed) attached.socket.write(held);
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
  attached.socket.once('close', stop);
  input.resume();
}
