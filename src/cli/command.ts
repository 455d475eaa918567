import type { Readable, Writable } from 'node:stream';
import { ClientError, type EngineClient } from '../client';
import type { CommandSpec, FlagValues, ParseResult } from './flags';

/** What a command can touch: its streams, its environment, and the daemon through the client. */
export interface CliContext {
  /** 'berth' or 'docker' in messages. */
  readonly program: string;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  /** The Engine API client, created on first use. */
  client(): EngineClient;
}

/** A command's implementation. Returns the exit code (0 when it returns nothing). */
export type CommandRun<S extends CommandSpec> = (
  ctx: CliContext,
  parsed: ParseResult<FlagValues<S['flags']>>,
) => Promise<number | undefined>;

export interface CliCommand {
  readonly spec: CommandSpec;
  readonly run: CommandRun<CommandSpec>;
}

/** Declares a command: its flags as data and the function that runs it. */
export function command<const S extends CommandSpec>(spec: S, run: CommandRun<S>): CliCommand {
  return { spec, run: run as unknown as CommandRun<CommandSpec> };
}

/** An error whose message the CLI prints as it is, with the given exit code. */
export class CliExit extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/**
 * Runs `fn` for each argument, as docker's multi-object commands do (rm, stop, volume rm...):
 * a daemon error is printed as `Error response from daemon: ...` once all are done, and makes
 * the exit code 1; a connection failure stops at once.
 */
export async function forEachArg(
  ctx: CliContext,
  args: readonly string[],
  fn: (arg: string) => Promise<void>,
): Promise<number> {
  const errors: string[] = [];
  for (const arg of args) {
    try {
      await fn(arg);
    } catch (err) {
      if (!(err instanceof ClientError) || err.isConnectionError) throw err;
      errors.push(`Error response from daemon: ${err.message}`);
    }
  }
  if (errors.length === 0) return 0;
  ctx.stderr.write(`${errors.join('\n')}\n`);
  return 1;
}
